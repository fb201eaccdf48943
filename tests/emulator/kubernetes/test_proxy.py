"""The API server's service and pod proxy, forwarding to the address the kubelet's resolver gives."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from kubernetes import client


class _Echo(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.dumps({"method": self.command, "path": self.path,
                           "body": self.rfile.read(length).decode(),
                           "authorization": self.headers.get("Authorization")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Upstream", "echo")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def echo():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture
def routed(section, core, echo, monkeypatch):
    core.create_namespaced_service("default",
                                   client.V1Service(metadata=client.V1ObjectMeta(name="echo"),
                                                    spec=client.V1ServiceSpec(
        selector={"app": "echo"}, ports=[client.V1ServicePort(name="http", port=80, target_port=8080)])))
    calls = []

    def resolve(cluster_key, namespace, service, port):
        calls.append((namespace, service, port))
        return f"127.0.0.1:{echo}" if service == "echo" else None

    monkeypatch.setattr(section, "endpoint_resolver", resolve)
    return calls


def _call(server, token, fresh, method, path, **kw):
    return requests.request(method, server + path, headers={"Authorization": f"Bearer {token}"},
                            verify=fresh.info.ca_cert, **kw)


def test_service_proxy_forwards_path_query_and_body(routed, server, token, fresh):
    r = _call(server, token, fresh, "POST", "/api/v1/namespaces/default/services/echo:http/proxy/generate/x?y=1",
              data='{"name":"x"}')
    assert r.status_code == 200 and r.headers["X-Upstream"] == "echo"
    assert r.json() == {"method": "POST", "path": "/generate/x?y=1", "body": '{"name":"x"}', "authorization": None}
    assert routed == [("default", "echo", "http")]


def test_service_proxy_without_endpoints_is_503(routed, server, token, fresh, core):
    core.create_namespaced_service("default", client.V1Service(metadata=client.V1ObjectMeta(name="lonely"),
                                                               spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=80)])))
    r = _call(server, token, fresh, "GET", "/api/v1/namespaces/default/services/lonely/proxy/")
    assert r.status_code == 503
    assert r.json()["reason"] == "ServiceUnavailable"
    assert r.json()["message"] == 'no endpoints available for service "lonely"'


def test_service_proxy_of_a_missing_service_is_404(routed, server, token, fresh):
    r = _call(server, token, fresh, "GET", "/api/v1/namespaces/default/services/nope/proxy/")
    assert r.status_code == 404 and r.json()["message"] == 'services "nope" not found'


def test_service_proxy_to_a_closed_port_is_503(section, core, server, token, fresh, monkeypatch):
    core.create_namespaced_service("default", client.V1Service(metadata=client.V1ObjectMeta(name="down"),
                                                               spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=80)])))
    monkeypatch.setattr(section, "endpoint_resolver", lambda *a: "127.0.0.1:9")
    r = _call(server, token, fresh, "GET", "/api/v1/namespaces/default/services/down/proxy/health")
    assert r.status_code == 503
    assert r.json()["message"].startswith("error trying to reach service: dial tcp 127.0.0.1:9")


def test_python_client_service_proxy_call(routed, core):
    out = core.connect_get_namespaced_service_proxy_with_path("echo", "default", "health")
    assert "/health" in str(out)
    assert routed == [("default", "echo", "")]


def test_pod_proxy_forwards_to_the_pod_address(section, core, echo, server, token, fresh, monkeypatch):
    pod = core.list_namespaced_pod("default").items[0].metadata.name
    seen = []

    def resolve(cluster_key, namespace, name, port):
        seen.append((namespace, name, port))
        return f"127.0.0.1:{echo}"

    monkeypatch.setattr(section, "pod_resolver", resolve)
    r = _call(server, token, fresh, "GET", f"/api/v1/namespaces/default/pods/{pod}:5001/proxy/health")
    assert r.status_code == 200 and r.json()["path"] == "/health"
    assert seen == [("default", pod, "5001")]


def test_proxy_never_dials_beyond_loopback(section, core, server, token, fresh, monkeypatch):
    core.create_namespaced_service("default", client.V1Service(metadata=client.V1ObjectMeta(name="far"),
                                                               spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=80)])))
    monkeypatch.setattr(section, "endpoint_resolver", lambda *a: "10.1.2.3:80")
    r = _call(server, token, fresh, "GET", "/api/v1/namespaces/default/services/far/proxy/")
    assert r.status_code == 503 and "not a loopback address" in r.json()["message"]
