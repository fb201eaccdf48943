"""The kubelet switched off (idle containers) and every process stopped at emulator shutdown."""
from __future__ import annotations

import psutil
import pytest
from kit import wait_for

from keyless_emulator import EmulatorConfig, runtime, start_in_thread

from .conftest import Cluster


def _cluster(emu) -> Cluster:
    section = emu.backend.state.sections["kubernetes"]
    doc = emu.backend.state.resources.of_type("Microsoft.ContainerService/managedClusters")[0]
    return Cluster(emu, section, section.store_for(doc))


def test_with_the_kubelet_off_pods_run_as_idle_containers(fresh):
    c = _cluster(fresh)
    pod = c.ready_pod("ai-service", timeout=10)
    assert pod["status"]["phase"] == "Running"
    assert "processes are off in this emulator" in c.log(pod)
    assert c.worker(pod).runs["ai-service"].process is None
    assert c.kubelet.host.pid is None  # no store app ran, so no pod runtime host was started
    assert c.section.endpoints(c.key, "default", "ai-service", "5001") is None


@pytest.mark.slow
def test_shutdown_stops_every_process_and_cleans_the_pod_folders(tmp_path):
    emu = start_in_thread(EmulatorConfig(home=tmp_path / "home", kubelet=True))
    try:
        c = _cluster(emu)
        pids = []
        for app in ("ai-service", "product-service", "store-admin"):
            pod = c.ready_pod(app)
            pids.append(c.worker(pod).runs[app].process.pid)
        pids.append(c.kubelet.host.pid)  # the pod runtime host that forked them ends too
        assert all(psutil.pid_exists(pid) for pid in pids)
    finally:
        emu.stop()
    wait_for(lambda: not any(runtime.pid_alive(pid) for pid in pids), 10, "every store process and the host to stop")
    pod_folders = [p for p in (tmp_path / "home" / "pods").rglob("*") if p.is_dir() and p.parent.name == "default"]
    assert pod_folders == []


def test_a_workshop_tenants_cluster_gets_its_own_store_workload(fresh, control):
    control.add_tenant("fabrikam")
    section = fresh.backend.state.sections["kubernetes"]
    docs = fresh.backend.state.resources.of_type("Microsoft.ContainerService/managedClusters")
    assert len(docs) == 2
    endpoints = set()
    for doc in docs:
        store = section.store_for(doc)
        deployment = store.find("deployments", "default", "ai-service")
        env = {e["name"]: e["value"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        endpoints.add(env["AZURE_OPENAI_ENDPOINT"])
        group = "/".join(doc["id"].split("/")[:5])
        account = fresh.backend.state.resources.under(group, "Microsoft.CognitiveServices/accounts")[0]
        assert env["AZURE_OPENAI_ENDPOINT"].endswith(f"/aoai/{account['properties']['customSubDomainName']}/")
        assert store.find("services", "default", "store-admin")["spec"]["type"] == "LoadBalancer"
    assert len(endpoints) == 2, "each tenant's ai-service talks to its own account"
