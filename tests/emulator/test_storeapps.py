"""Our store apps: loopback-only runtime, service names, and their HTTP behaviour as processes."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from kit import wait_for

import keyless_emulator
from keyless_emulator.storeapps import app_for_image
from keyless_emulator.storeapps.pod_runtime import resolve_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(app: str, env: dict[str, str], tmp_path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    out = open(tmp_path / f"{app}.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", f"keyless_emulator.storeapps.{app}", "--port", str(port)],
                            env={"PATH": "", "HOME": str(tmp_path), "PYTHONUNBUFFERED": "1",
                                 # this tree's package, as the kubelet gives its pods
                                 "PYTHONPATH": str(Path(keyless_emulator.__file__).parents[1]), **env},
                            stdout=out, stderr=subprocess.STDOUT)

    def listening() -> bool:
        if proc.poll() is not None:
            raise RuntimeError((tmp_path / f"{app}.log").read_text())
        return _accepts(port)
    try:
        wait_for(listening, 20, f"{app} to listen", ignoring=(OSError,))
    except AssertionError:
        proc.kill()
        raise
    return proc, f"http://127.0.0.1:{port}"


def _accepts(port: int) -> bool:
    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    return True


@pytest.fixture
def apps(tmp_path):
    started = []

    def start(app, **env):
        proc, url = start_app(app, env, tmp_path)
        started.append(proc)
        return url

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(5)


@pytest.mark.parametrize("image,app", [
    ("ghcr.io/azure-samples/aks-store-demo/ai-service:2.2.0", "ai_service"),
    ("ghcr.io/azure-samples/aks-store-demo/ai-service:latest", "ai_service"),
    ("ghcr.io/azure-samples/aks-store-demo/ai-service", "ai_service"),
    ("ghcr.io/azure-samples/aks-store-demo/product-service@sha256:abc", "product_service"),
    ("ghcr.io/azure-samples/aks-store-demo/store-admin:1.5.3", "store_admin"),
    ("ghcr.io/azure-samples/aks-store-demo/store-front:2.2.0", None),
    ("nginx:1.27", None),
    ("localhost:5000/ai-service:1", None),
])
def test_images_map_to_apps(image, app):
    assert app_for_image(image) == app


def test_service_names_resolve_through_the_service_map(tmp_path, monkeypatch):
    mapping = tmp_path / "services.json"
    mapping.write_text(json.dumps({"default/ai-service/5001": "127.0.0.1:40001", "shop/api/80": "127.0.0.1:40002"}))
    monkeypatch.setenv("KEYLESS_SERVICE_MAP", str(mapping))
    monkeypatch.setenv("KEYLESS_POD_NAMESPACE", "default")
    assert resolve_url("http://ai-service:5001/health") == "http://127.0.0.1:40001/health"
    assert resolve_url("http://ai-service.default.svc.cluster.local:5001/x?y=1") == "http://127.0.0.1:40001/x?y=1"
    assert resolve_url("http://api.shop/") == "http://127.0.0.1:40002/"
    assert resolve_url("http://api.shop.svc:80/") == "http://127.0.0.1:40002/"
    assert resolve_url("http://unknown:5001/") == "http://unknown:5001/"
    assert resolve_url("http://127.0.0.1:9/x") == "http://127.0.0.1:9/x"


@pytest.mark.parametrize("target", [("169.254.169.254", 80), ("login.microsoftonline.com", 443), ("10.0.0.1", 443)])
def test_app_processes_cannot_reach_beyond_loopback(target):
    code = ("from keyless_emulator.storeapps.pod_runtime import guard_loopback\n"
            "guard_loopback()\nimport socket\n"
            f"try:\n    socket.create_connection({target!r}, timeout=1)\nexcept OSError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30).stdout
    assert "pods may only reach loopback addresses" in out


def test_ai_service_health_and_startup_log(apps, tmp_path):
    url = apps("ai_service", APP_VERSION="2.2.0")
    assert requests.get(url + "/health").json() == {"status": "ok", "version": "2.2.0", "capabilities": ["description"]}
    log = (tmp_path / "ai_service.log").read_text()
    for line in ("INFO:     Started server process [", "INFO:     Waiting for application startup.",
                 "INFO:     Application startup complete.", "INFO:     Uvicorn running on http://127.0.0.1:"):
        assert line in log


def test_ai_service_health_reports_image_capability_when_configured(apps):
    url = apps("ai_service", AZURE_OPENAI_ENDPOINT="https://x/", AZURE_OPENAI_IMAGE_DEPLOYMENT_NAME="dall-e-3")
    assert requests.get(url + "/health").json()["capabilities"] == ["description", "image"]


def test_ai_service_malformed_body_is_422(apps):
    url = apps("ai_service")
    r = requests.post(url + "/generate/description", json={"name": "x"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "tags"]


def test_ai_service_parses_json_sent_without_content_type(apps):
    """The published image parses the body whatever the header; the request reaches the handler."""
    url = apps("ai_service", USE_AZURE_OPENAI="True")
    r = requests.post(url + "/generate/description", data=b'{"name": "Rope toy", "tags": ["dog"]}')
    assert "content-type" not in {k.lower() for k in r.request.headers}
    assert (r.status_code, r.json()) == (500, {"detail": "Error generating description: AZURE_OPENAI_DEPLOYMENT_NAME "
                                                         "and AZURE_OPENAI_ENDPOINT must be provided"})


@pytest.mark.parametrize("env,detail", [
    ({"USE_AZURE_OPENAI": "True"},
     "Error generating description: AZURE_OPENAI_DEPLOYMENT_NAME and AZURE_OPENAI_ENDPOINT must be provided"),
    ({"USE_AZURE_OPENAI": "true", "AZURE_OPENAI_DEPLOYMENT_NAME": "d", "AZURE_OPENAI_ENDPOINT": "https://127.0.0.1:9/"},
     "Error generating description: OPENAI_API_KEY or AZURE_OPENAI_API_KEY must be provided"),
    ({}, "Error generating description: OPENAI_API_KEY and OPENAI_ORG_ID must be provided"),
    ({"OPENAI_API_KEY": "k", "OPENAI_ORG_ID": "o"}, "Error generating description: Connection error."),
    ({"USE_LOCAL_LLM": "true"}, "Error generating description: LOCAL_LLM_ENDPOINT must be provided"),
])
def test_ai_service_configuration_errors_are_500_with_the_text(apps, tmp_path, env, detail):
    url = apps("ai_service", **env)
    r = requests.post(url + "/generate/description", json={"name": "Rope toy", "tags": ["dog"]})
    assert (r.status_code, r.json()) == (500, {"detail": detail})
    logged = detail.removeprefix("Error generating description: ")
    wait_for(lambda: logged in (tmp_path / "ai_service.log").read_text(), 10, "the error in the app's log")


def test_product_service_catalogue(apps):
    url = apps("product_service")
    products = requests.get(url + "/").json()
    assert len(products) >= 3 and all({"id", "name", "price", "description"} <= set(p) for p in products)
    added = requests.post(url + "/", json={"name": "Squeaky Duck", "price": 4.5, "description": "Quack."}).json()
    assert added["id"] == max(p["id"] for p in products) + 1
    assert requests.get(f"{url}/{added['id']}").json()["name"] == "Squeaky Duck"
    added["price"] = 5.0
    assert requests.put(url + "/", json=added).json()["price"] == 5.0
    assert requests.delete(f"{url}/{added['id']}").status_code == 200
    assert requests.get(f"{url}/{added['id']}").status_code == 404


def test_product_service_ai_unreachable_is_500_with_the_error(apps):
    with socket.socket() as held:  # bound, never listening: nobody else can take the port meanwhile
        held.bind(("127.0.0.1", 0))
        url = apps("product_service", AI_SERVICE_URL=f"http://127.0.0.1:{held.getsockname()[1]}/")
        r = requests.get(url + "/ai/health")
    assert r.status_code == 500 and "Connection refused" in r.text


@pytest.mark.slow
def test_store_admin_chain_to_ai_service(apps, tmp_path):
    ai = apps("ai_service", USE_AZURE_OPENAI="True")
    product = apps("product_service", AI_SERVICE_URL=ai + "/")
    admin = apps("store_admin", VUE_APP_PRODUCT_SERVICE_URL=product + "/")
    page = requests.get(admin + "/")
    assert page.status_code == 200 and "Ask AI Assistant" in page.text
    assert "http" not in page.text.split("<script>")[1], "the page loads nothing from elsewhere"
    assert requests.get(admin + "/api/ai/health").json()["capabilities"] == ["description"]
    assert requests.get(admin + "/health").json()["status"] == "ok"
    assert len(requests.get(admin + "/api/products").json()) >= 3
    saved = requests.post(admin + "/api/product", json={"name": "Ball", "price": 1}).json()
    assert requests.get(f"{admin}/api/product/{saved['id']}").json()["name"] == "Ball"
    r = requests.post(admin + "/api/ai/generate/description", json={"name": "Ball", "tags": ["dog"]})
    assert r.status_code == 500 and r.json()["detail"].startswith("Error generating description: ")


def test_product_service_ai_health_non_2xx_is_an_empty_404(apps):
    other = apps("product_service")
    url = apps("product_service", AI_SERVICE_URL=other + "/no-such-prefix/")
    r = requests.get(url + "/ai/health")
    assert (r.status_code, r.content) == (404, b"")


def test_product_service_passes_ai_status_and_body_through(apps):
    ai = apps("ai_service")
    url = apps("product_service", AI_SERVICE_URL=ai + "/")
    r = requests.post(url + "/ai/generate/description", json={"name": "x"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "tags"]


def test_ai_service_allows_cross_origin_calls(apps):
    url = apps("ai_service")
    r = requests.options(url + "/generate/description", headers={
        "Origin": "http://store-admin.example", "Access-Control-Request-Method": "POST"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] in ("*", "http://store-admin.example")


def test_an_app_ends_when_its_kubelet_dies(tmp_path):
    import psutil

    port = free_port()
    launcher = ("import subprocess, sys, time\n"
                "p = subprocess.Popen([sys.executable, '-m', 'keyless_emulator.storeapps.ai_service', "
                f"'--port', '{port}'],"
                " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
                "print(p.pid, flush=True)\ntime.sleep(120)\n")
    parent = subprocess.Popen([sys.executable, "-c", launcher], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    try:
        wait_for(lambda: _accepts(port), 20, "the app to serve", ignoring=(OSError,))
        parent.kill()
        parent.wait(5)
        wait_for(lambda: not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE, 15,
                 "the app to end after its kubelet died", ignoring=(psutil.NoSuchProcess,))
    finally:
        if psutil.pid_exists(child):
            try:
                psutil.Process(child).kill()
            except psutil.NoSuchProcess:
                pass
