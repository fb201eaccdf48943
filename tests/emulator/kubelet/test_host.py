"""The pod runtime host: store app containers forked from one pre-imported process, each still with
only its own pod's environment (os.environ inside, and the environment block /proc shows)."""
from __future__ import annotations

import psutil
import pytest
import requests

from keyless_emulator.storeapps.host import SPACE_BYTES, SPACE_ENV

from .test_node import AI_IMAGE, deployment, pid_of

pytestmark = pytest.mark.slow


def _ai(name, env):
    return deployment(name, [{"name": name, "image": AI_IMAGE, "ports": [{"containerPort": 5001}],
                              "env": [{"name": k, "value": v} for k, v in env.items()]}])


def _health(cluster, pod):
    address = cluster.worker(pod).local_address(5001)
    return requests.get(f"http://{address}/health", timeout=10).json()


def test_pods_forked_by_one_host_each_see_only_their_own_environment(cluster):
    with_image = {"AZURE_OPENAI_ENDPOINT": "https://one.openai.azure.com/",
                  "AZURE_OPENAI_IMAGE_DEPLOYMENT_NAME": "dall-e-3", "APP_VERSION": "7.7.7"}
    cluster.store.create("deployments", _ai("env-one", with_image), "default")
    cluster.store.create("deployments", _ai("env-two", {}), "default")
    one, two = cluster.ready_pod("env-one"), cluster.ready_pod("env-two")
    host = cluster.kubelet.host.pid
    seeded = cluster.ready_pod("ai-service")
    assert {psutil.Process(pid_of(cluster, p)).ppid() for p in (one, two, seeded)} == {host}
    # what the app reads from os.environ, at import (APP_VERSION) and per request (capabilities)
    assert _health(cluster, one) == {"status": "ok", "version": "7.7.7", "capabilities": ["description", "image"]}
    assert _health(cluster, two) == {"status": "ok", "version": "0.1.0", "capabilities": ["description"]}
    for pod in (one, two):
        given = cluster.worker(pod).runs[pod["spec"]["containers"][0]["name"]].process.env
        assert psutil.Process(pid_of(cluster, pod)).environ() == given  # exactly the pod's, nothing of the host's
        assert SPACE_ENV not in given
    assert "AZURE_OPENAI_IMAGE_DEPLOYMENT_NAME" not in psutil.Process(pid_of(cluster, two)).environ()
    assert psutil.Process(pid_of(cluster, one)).cmdline()[1:3] == ["-m", "keyless_emulator.storeapps.host"]


def test_an_environment_too_large_to_rewrite_in_place_runs_the_app_on_its_own(cluster):
    large = {"LARGE_SETTING": "x" * (SPACE_BYTES + 1)}
    cluster.store.create("deployments", _ai("env-large", large), "default")
    pod = cluster.ready_pod("env-large")
    process = psutil.Process(pid_of(cluster, pod))
    assert process.ppid() == cluster.kubelet.host.pid  # forked by the host, then exec'd: same pid, same pipes
    assert process.cmdline()[1:3] == ["-m", "keyless_emulator.storeapps.ai_service"]
    assert process.environ()["LARGE_SETTING"] == large["LARGE_SETTING"]
    assert _health(cluster, pod)["status"] == "ok"
    assert "Uvicorn running on" in cluster.log(pod)
