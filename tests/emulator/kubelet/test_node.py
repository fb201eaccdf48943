"""The kubelet with real processes: pods go Running and Ready, logs, restarts, deletion, tokens, services."""
from __future__ import annotations

import ipaddress
import os
import signal
from pathlib import Path

import psutil
import pytest
import requests
from kit import wait_for

from keyless_emulator.kubelet.loadbalancer import address_for

pytestmark = pytest.mark.slow

AI_IMAGE = "ghcr.io/azure-samples/aks-store-demo/ai-service:2.2.0"


def deployment(name, containers, labels=None, **spec):
    labels = {"app": name, **(labels or {})}
    return {"metadata": {"name": name}, "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": containers, **spec}}}}


def pid_of(cluster, pod, container=None):
    worker = cluster.worker(pod)
    run = worker.runs[container or pod["spec"]["containers"][0]["name"]]
    return run.process.pid


def test_seeded_store_pods_are_running_and_ready(cluster):
    pod = cluster.ready_pod("ai-service")
    status = pod["status"]
    assert status["phase"] == "Running"
    assert ipaddress.ip_address(status["podIP"]) in ipaddress.ip_network("10.244.0.0/24")
    assert status["podIPs"] == [{"ip": status["podIP"]}] and status["hostIP"] == "10.224.0.4"
    conditions = {c["type"]: c["status"] for c in status["conditions"]}
    assert {k: conditions[k] for k in ("PodScheduled", "Initialized", "ContainersReady", "Ready")} == \
        {"PodScheduled": "True", "Initialized": "True", "ContainersReady": "True", "Ready": "True"}
    (cs,) = status["containerStatuses"]
    assert cs["name"] == "ai-service" and cs["ready"] and cs["started"] and cs["restartCount"] == 0
    assert "startedAt" in cs["state"]["running"] and cs["containerID"].startswith("containerd://")
    assert cs["image"] == AI_IMAGE
    assert cs["imageID"].startswith("ghcr.io/azure-samples/aks-store-demo/ai-service@sha256:")
    reasons = [(t, r) for t, r, _ in cluster.events(pod)]
    for expected in (("Normal", "Scheduled"), ("Normal", "Pulling"), ("Normal", "Pulled"), ("Normal", "Created"),
                     ("Normal", "Started")):
        assert expected in reasons
    messages = {r: m for _, r, m in cluster.events(pod)}
    assert messages["Pulling"] == f'Pulling image "{AI_IMAGE}"'
    assert messages["Created"] == "Created container: ai-service"
    assert messages["Started"] == "Started container ai-service"
    assert "INFO:     Uvicorn running on http://127.0.0.1:" in cluster.log(pod)
    assert pod["spec"]["containers"][0]["ports"] == [{"containerPort": 5001, "protocol": "TCP"}]


def test_the_process_environment_is_the_pod_environment_plus_only_the_emulator_plumbing(cluster):
    pod = cluster.ready_pod("ai-service")
    env = psutil.Process(pid_of(cluster, pod)).environ()
    spec_env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert {k: env[k] for k in spec_env} == spec_env
    info = cluster.emulator.info
    assert env["REQUESTS_CA_BUNDLE"] == env["SSL_CERT_FILE"] == info.ca_bundle
    assert env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] == info.url + "/_imds"
    assert env["HOME"].startswith(str(cluster.emulator.backend.config.pods_dir))
    assert not any(k.startswith(("AZURE_CLIENT", "IDENTITY_", "MSI_", "KUBECONFIG")) for k in env)
    assert "REQUESTS_CA_BUNDLE" not in spec_env and "AZURE_POD_IDENTITY_AUTHORITY_HOST" not in spec_env
    assert os.environ.get("PATH") != env["PATH"] and not any(Path(env["PATH"]).iterdir())


def test_services_resolve_to_ready_pods_and_the_load_balancer_is_local(cluster):
    address = cluster.section.endpoints(cluster.key, "default", "ai-service", "5001")
    assert address and address.startswith("127.0.0.1:")
    assert requests.get(f"http://{address}/health").json()["status"] == "ok"
    assert cluster.section.endpoints(cluster.key, "default", "ai-service", "5002") is None
    assert cluster.section.endpoints(cluster.key, "default", "nope", "5001") is None
    svc = wait_for(lambda: (s := cluster.store.find("services", "default", "store-admin"))
                   and (s.get("metadata", {}).get("annotations") or {}).get("keyless.emulator/local-url") and s)
    ip = svc["status"]["loadBalancer"]["ingress"][0]["ip"]
    assert svc["status"]["loadBalancer"]["ingress"] == [{"ip": ip, "ipMode": "VIP"}]
    assert ip == address_for(cluster.key, "default", "store-admin") or ip == "127.0.0.1"  # 127.0.0.1: no such address
    url = svc["metadata"]["annotations"]["keyless.emulator/local-url"]
    port = svc["spec"]["ports"][0]
    assert port["port"] == 80 and port["targetPort"] == 8081 and 30000 <= port["nodePort"] <= 32767
    # the load balancer listens on its own address, on port 80 where this machine allows it, else the nodePort
    # (or any port when another emulator holds both), and the annotation says which
    assert url.startswith(f"http://{ip}:")
    listener = cluster.kubelet.network.balancer(cluster.key, "default", "store-admin")
    assert listener is not None and url == listener.url
    if url == f"http://{ip}:80":
        assert listener.refused is None
        assert "Ask AI Assistant" in requests.get(f"http://{ip}/").text  # the article's http://$STORE_ADMIN_IP
    else:  # the OS refused port 80 here, or another emulator (another test worker) held it at the time
        assert listener.refused in ("Permission denied", "Address already in use")
    assert "Ask AI Assistant" in requests.get(url + "/").text
    assert requests.get(url + "/api/ai/health").json() == {"status": "ok", "version": "0.1.0",
                                                          "capabilities": ["description"]}


def test_key_based_description_through_the_store(cluster):
    url = wait_for(lambda: (cluster.store.find("services", "default", "store-admin")["metadata"].get("annotations")
                            or {}).get("keyless.emulator/local-url"))
    r = requests.post(url + "/api/ai/generate/description", json={"name": "Rope toy", "tags": ["dog", "rope"]})
    assert r.status_code == 200 and isinstance(r.json()["description"], str) and r.json()["description"]
    pod = cluster.ready_pod("ai-service")
    key = next(e["value"] for e in pod["spec"]["containers"][0]["env"] if e["name"] == "OPENAI_API_KEY")
    assert key not in cluster.log(pod) and key not in cluster.log(cluster.ready_pod("product-service"))


def test_unknown_image_is_an_idle_container(cluster):
    cluster.store.create("deployments", deployment("web", [{"name": "web", "image": "nginx:1.27",
                                                            "ports": [{"containerPort": 80}]}]), "default")
    pod = cluster.ready_pod("web")
    assert pod["status"]["phase"] == "Running"
    assert "idle container" in cluster.log(pod) and "nginx:1.27" in cluster.log(pod)


def test_a_failing_app_goes_into_crash_loop_back_off_with_its_previous_log(cluster):
    cluster.store.create("deployments", deployment("broken", [{"name": "broken", "image": AI_IMAGE,
                                                               "args": ["--no-such-option"]}]), "default")

    def crashed():
        pod = next(iter(cluster.pods("broken")), None)
        cs = ((pod or {}).get("status") or {}).get("containerStatuses") or []
        return pod if cs and cs[0]["restartCount"] >= 1 and "waiting" in cs[0]["state"] else None

    pod = wait_for(crashed, 30, "a restart")
    (cs,) = pod["status"]["containerStatuses"]
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert cs["state"]["waiting"]["message"].startswith("back-off 2s restarting failed container=broken pod=broken-")
    terminated = cs["lastState"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (2, "Error")
    assert not cs["ready"] and pod["status"]["phase"] == "Running"
    ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}["Ready"]
    assert ready == "False"
    assert ("Warning", "BackOff") in [(t, r) for t, r, _ in cluster.events(pod)]
    previous = wait_for(lambda: cluster.log(pod, previous=True) if cluster.worker(pod).runs["broken"].instance
                        else None, 30, "a second instance")
    assert "error: unrecognized arguments: --no-such-option" in previous


def test_a_killed_process_is_restarted_and_ready_again(cluster):
    pod = cluster.ready_pod("product-service")
    old_pid = pid_of(cluster, pod)
    os.kill(old_pid, signal.SIGKILL)

    def restarted():
        p = cluster.store.find("pods", "default", pod["metadata"]["name"])
        cs = p["status"]["containerStatuses"][0]
        return p if cs["restartCount"] == 1 and cs["ready"] else None

    p = wait_for(restarted, 30, "the restarted container to be ready")
    terminated = p["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (137, "Error")
    assert pid_of(cluster, p) != old_pid
    assert "Uvicorn running on" in cluster.log(p, previous=True)


def test_deleting_a_pod_stops_its_process_and_cleans_its_folder(cluster):
    pod = cluster.ready_pod("ai-service")
    pid = pid_of(cluster, pod)
    folder = cluster.worker(pod).root
    assert folder.is_dir()
    cluster.store.delete("pods", "default", pod["metadata"]["name"])
    wait_for(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, 15,
             "the process to stop")
    wait_for(lambda: not folder.exists(), 15, "the pod folder to go")
    replacement = cluster.ready_pod("ai-service")  # the ReplicaSet makes a new pod, which runs again
    assert replacement["metadata"]["name"] != pod["metadata"]["name"]


def test_projected_token_file_is_written_and_refreshed(cluster):
    settings = cluster.kubelet.settings
    original = settings.token_refresh_fraction
    settings.token_refresh_fraction = 0.002  # refresh a 600 s token after ~1 s
    try:
        cluster.store.create("deployments", deployment("tok", [{"name": "tok", "image": "busybox:1.36",
            "volumeMounts": [{"name": "tok", "mountPath": "/var/run/tok", "readOnly": True}]}],
            volumes=[{"name": "tok", "projected": {"sources": [{"serviceAccountToken": {
                "path": "token", "expirationSeconds": 600, "audience": "api://AzureADTokenExchange"}}]}}]), "default")
        pod = cluster.ready_pod("tok")
        path = cluster.worker(pod).root / "volumes" / "tok" / "token"
        first = wait_for(lambda: path.exists() and path.read_text(), 10, "the token file")
        assert not first.endswith("\n") and oct(path.stat().st_mode & 0o777) == "0o600"
        second = wait_for(lambda: path.read_text() != first and path.read_text(), 10, "a refreshed token")
        import jwt
        claims = jwt.decode(second, options={"verify_signature": False})
        assert claims["aud"] == ["api://AzureADTokenExchange"] and claims["exp"] - claims["iat"] == 600
        assert claims["sub"] == "system:serviceaccount:default:default"
        assert claims["kubernetes.io"]["pod"]["name"] == pod["metadata"]["name"]
    finally:
        settings.token_refresh_fraction = original


def test_imds_answers_identity_not_found(cluster):
    info = cluster.emulator.info
    r = requests.get(info.url + "/_imds/metadata/identity/oauth2/token",
                     params={"api-version": "2018-02-01", "resource": "https://cognitiveservices.azure.com"},
                     headers={"Metadata": "true"}, verify=info.ca_cert)
    assert (r.status_code, r.json()) == (400, {"error": "invalid_request", "error_description": "Identity not found"})
    r = requests.get(info.url + "/_imds/metadata/identity/oauth2/token", params={"resource": "x"},
                     verify=info.ca_cert)
    assert r.status_code == 400 and r.json()["error_description"] == "Required metadata header not specified"


def test_a_missing_secret_is_create_container_config_error(cluster):
    cluster.store.create("deployments", deployment("needs-secret", [{"name": "app", "image": AI_IMAGE, "env": [
        {"name": "OPENAI_API_KEY", "valueFrom": {"secretKeyRef": {"name": "openai", "key": "key"}}}]}]), "default")

    def waiting():
        pod = next(iter(cluster.pods("needs-secret")), None)
        cs = ((pod or {}).get("status") or {}).get("containerStatuses") or []
        waiting = (cs[0]["state"].get("waiting") or {}) if cs else {}
        return pod if waiting.get("reason") == "CreateContainerConfigError" else None

    pod = wait_for(waiting, 15, "CreateContainerConfigError")
    cs = pod["status"]["containerStatuses"][0]
    assert cs["state"]["waiting"]["message"] == 'secret "openai" not found' and not cs["ready"]
    assert pod["status"]["phase"] == "Pending"
    assert ("Warning", "Failed", 'Error: secret "openai" not found') in cluster.events(pod)
    cluster.store.create("secrets", {"metadata": {"name": "openai"}, "stringData": {"key": "k"}}, "default")
    ready = cluster.ready_pod("needs-secret")  # the kubelet retries and the container starts
    assert ready["status"]["containerStatuses"][0]["restartCount"] == 0


def test_a_missing_config_map_volume_fails_the_mount(cluster):
    cluster.store.create("deployments", deployment("needs-cm", [{"name": "app", "image": "busybox:1.36",
        "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg"}]}],
        volumes=[{"name": "cfg", "configMap": {"name": "settings"}}]), "default")
    pod = cluster.pod("needs-cm")
    wait_for(lambda: any(r == "FailedMount" for _, r, _m in cluster.events(pod)), 15, "FailedMount")
    message = next(m for _, r, m in cluster.events(pod) if r == "FailedMount")
    assert message == 'MountVolume.SetUp failed for volume: configmap "settings" not found'
    pod = cluster.store.find("pods", "default", pod["metadata"]["name"])
    assert pod["status"]["phase"] == "Pending"


def test_a_service_without_ready_pods_has_no_endpoint(cluster):
    cluster.store.create("services", {"metadata": {"name": "nobody"}, "spec": {
        "selector": {"app": "nobody"}, "ports": [{"port": 8080, "targetPort": 8080}]}}, "default")
    assert cluster.section.endpoints(cluster.key, "default", "nobody", "8080") is None
    forwarder = wait_for(lambda: cluster.kubelet.network.local_port(cluster.key, "default", "nobody", 8080), 10,
                         "the forwarder")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{forwarder}/", timeout=5)


def test_the_service_map_names_every_service_port(cluster):
    path = cluster.kubelet.network.map_file(cluster.key)
    import json

    mapping = wait_for(lambda: path.exists() and "default/store-admin/80" in (m := json.loads(path.read_text()))
                       and m, 10, "the service map")
    assert {"default/ai-service/5001", "default/product-service/3002", "default/store-admin/80"} <= set(mapping)
    assert all(v.startswith("127.0.0.1:") for v in mapping.values())
    assert requests.get(f"http://{mapping['default/ai-service/5001']}/health").json()["status"] == "ok"


def _core(cluster):
    import yaml
    from kubernetes import client, config

    from keyless_emulator import clusters

    doc = cluster.store.cluster.doc
    api = config.new_client_from_config_dict(yaml.safe_load(clusters.kubeconfig(cluster.emulator.backend, doc)))
    return client.CoreV1Api(api)


def test_pod_logs_through_the_api_server_follow_new_lines(cluster):
    import threading

    core = _core(cluster)
    pod = cluster.ready_pod("ai-service")
    name = pod["metadata"]["name"]
    text = core.read_namespaced_pod_log(name, "default", container="ai-service")
    assert "INFO:     Application startup complete." in text
    stream = core.read_namespaced_pod_log(name, "default", container="ai-service", follow=True,
                                          _preload_content=False)
    seen: list[str] = []

    def read():
        for chunk in stream.stream(64):
            seen.append(chunk.decode())
            if '"GET /health HTTP/1.1" 200 OK' in "".join(seen):
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    address = cluster.section.endpoints(cluster.key, "default", "ai-service", "5001")
    requests.get(f"http://{address}/health")
    reader.join(15)
    stream.release_conn()
    assert '"GET /health HTTP/1.1" 200 OK' in "".join(seen)


def test_previous_log_through_the_api_server_after_a_restart(cluster):
    from kubernetes.client.exceptions import ApiException

    core = _core(cluster)
    pod = cluster.ready_pod("store-admin")
    name = pod["metadata"]["name"]
    with pytest.raises(ApiException) as e:
        core.read_namespaced_pod_log(name, "default", previous=True)
    assert e.value.status == 400
    os.kill(pid_of(cluster, pod), signal.SIGTERM)
    wait_for(lambda: cluster.store.find("pods", "default", name)["status"]["containerStatuses"][0]["restartCount"] == 1,
             15, "the restart")
    previous = core.read_namespaced_pod_log(name, "default", previous=True)
    assert "INFO:     Shutting down" in previous and "INFO:     Finished server process" in previous
    terminated = cluster.store.find("pods", "default",
                                    name)["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (143, "Error")  # uvicorn re-raises SIGTERM


def test_a_named_target_port_resolves_to_the_container_declaring_it(cluster):
    image = "ghcr.io/azure-samples/aks-store-demo/product-service:2.2.0"
    cluster.store.create("deployments", deployment("catalog", [{"name": "catalog", "image": image,
                                                                "ports": [{"name": "web", "containerPort": 3002}]}]),
                         "default")
    cluster.store.create("services", {"metadata": {"name": "catalog"}, "spec": {
        "selector": {"app": "catalog"}, "ports": [{"name": "http", "port": 8080, "targetPort": "web"}]}}, "default")
    cluster.ready_pod("catalog")
    for port in ("8080", "http"):
        address = cluster.section.endpoints(cluster.key, "default", "catalog", port)
        assert address and requests.get(f"http://{address}/health").json()["status"] == "ok"
    local = wait_for(lambda: cluster.kubelet.network.local_port(cluster.key, "default", "catalog", 8080), 10,
                     "the forwarder")
    assert len(requests.get(f"http://127.0.0.1:{local}/").json()) >= 3
