"""Store apps stopped while unused and started again by their next request (kubelet/idle.py), with the
pod unchanged to the Kubernetes API, each container's environment, token file and log its own.

These run on the session's `node_emulator` with its idle stop shortened for the test (the kubelet's
settings are read on every sweep); the `cluster` fixture's reset starts every later test's pods afresh.
"""
from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import psutil
import pytest
import requests
from kit import wait_for

from keyless_emulator.kubelet.idle import IDLE_CHECK

from .test_node import AI_IMAGE, deployment

pytestmark = pytest.mark.slow

TOKEN_DIR = "/var/run/secrets/azure/tokens"


@pytest.fixture
def idle_after_one_second(cluster) -> Iterator[None]:
    settings = cluster.kubelet.settings
    before, settings.idle_stop = settings.idle_stop, 1.0
    try:
        yield
    finally:
        settings.idle_stop = before


def app(name: str, env: dict[str, str]) -> dict:
    """An ai-service deployment with what the workload identity webhook injects: the token file and its env."""
    return deployment(name, [{"name": name, "image": AI_IMAGE, "ports": [{"containerPort": 5001}],
                              "env": [{"name": k, "value": v} for k, v in env.items()],
                              "volumeMounts": [{"name": "azure-identity-token", "mountPath": TOKEN_DIR,
                                                "readOnly": True}]}],
                      volumes=[{"name": "azure-identity-token", "projected": {"sources": [{"serviceAccountToken": {
                          "path": "azure-identity-token", "expirationSeconds": 3600,
                          "audience": "api://AzureADTokenExchange"}}]}}])


def stopped(run, pid: int) -> bool:
    return run.dormant and not psutil.pid_exists(pid)


def test_an_idle_app_stops_and_its_next_request_starts_it_again_with_the_pod_unchanged(cluster,
                                                                                      idle_after_one_second):
    cluster.store.create("deployments", app("idler", {"AZURE_CLIENT_ID": "client-a"}), "default")
    pod = cluster.ready_pod("idler")
    run = cluster.worker(pod).runs["idler"]
    first, port = run.process.pid, run.local_port
    (before,) = pod["status"]["containerStatuses"]
    events = cluster.events(pod)

    wait_for(lambda: stopped(run, first), 30, "the idle app to stop")
    (now,) = cluster.pods("idler")[0]["status"]["containerStatuses"]
    assert now == before and now["restartCount"] == 0 and now["ready"] and "running" in now["state"]
    assert cluster.pods("idler")[0]["status"]["phase"] == "Running"
    assert cluster.events(pod) == events                      # no Killing, Started nor BackOff

    address = cluster.kubelet.pod_address(cluster.key, "default", pod["metadata"]["name"], "5001")
    assert address == f"127.0.0.1:{port}"                     # still an endpoint, on the same port
    answer = requests.get(f"http://{address}/health", timeout=30)   # the first request waits for the start
    assert (answer.status_code, answer.json()["status"]) == (200, "ok")
    second = run.process.pid
    assert second != first and run.process.running and not run.dormant

    env = psutil.Process(second).environ()
    assert env["AZURE_CLIENT_ID"] == "client-a" and env["HOSTNAME"] == pod["metadata"]["name"]
    mounted = cluster.worker(pod).root / "volumes" / "azure-identity-token" / "azure-identity-token"
    assert mounted.read_text().count(".") == 2                # the token file is still there for the app
    log = cluster.log(pod)
    assert log.count("Uvicorn running on http://127.0.0.1:") == 2 and "Shutting down" in log
    assert cluster.log(pod, previous=True) == ""              # one container instance, one log


def test_a_request_wakes_only_its_own_app_and_each_app_keeps_its_own_environment(cluster, idle_after_one_second):
    for name, client in (("left", "client-left"), ("right", "client-right")):
        cluster.store.create("deployments", app(name, {"AZURE_CLIENT_ID": client}), "default")
    pods = {name: cluster.ready_pod(name) for name in ("left", "right")}
    runs = {name: cluster.worker(pod).runs[name] for name, pod in pods.items()}
    pids = {name: run.process.pid for name, run in runs.items()}
    wait_for(lambda: all(stopped(runs[n], pids[n]) for n in runs), 30, "both idle apps to stop")

    left = cluster.kubelet.pod_address(cluster.key, "default", pods["left"]["metadata"]["name"], "5001")
    assert requests.get(f"http://{left}/health", timeout=30).status_code == 200
    assert runs["left"].process.running and runs["right"].dormant   # the other app was not started
    env = psutil.Process(runs["left"].process.pid).environ()
    assert (env["AZURE_CLIENT_ID"], env["HOSTNAME"]) == ("client-left", pods["left"]["metadata"]["name"])
    sockets = psutil.Process(runs["left"].process.pid).net_connections(kind="tcp")
    assert {c.laddr.port for c in sockets if c.status == psutil.CONN_LISTEN} == {runs["left"].local_port}
    assert runs["right"].local_port not in {c.laddr.port for c in sockets}

    right = cluster.kubelet.pod_address(cluster.key, "default", pods["right"]["metadata"]["name"], "5001")
    assert requests.get(f"http://{right}/health", timeout=30).status_code == 200
    env = psutil.Process(runs["right"].process.pid).environ()
    assert (env["AZURE_CLIENT_ID"], env["HOSTNAME"]) == ("client-right", pods["right"]["metadata"]["name"])
    assert "client-right" not in cluster.log(pods["left"]) and "client-left" not in cluster.log(pods["right"])


def test_an_app_with_an_open_connection_is_not_stopped(cluster, idle_after_one_second):
    pod = cluster.ready_pod("ai-service")
    run = cluster.worker(pod).runs["ai-service"]
    pid = run.process.pid
    host, port = cluster.section.endpoints(cluster.key, "default", "ai-service", "5001").rsplit(":", 1)
    with socket.create_connection((host, int(port))):      # a client in the middle of a request
        until = time.monotonic() + 3 * IDLE_CHECK
        wait_for(lambda: time.monotonic() > until, 4 * IDLE_CHECK, "three idle sweeps")
        assert run.process.pid == pid and psutil.pid_exists(pid) and not run.dormant and not run.idled
