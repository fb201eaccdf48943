"""An emulator whose kubelet runs processes, and helpers to wait on a cluster's pods."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from keyless_emulator import EmulatorConfig, InProcessEmulator, start_in_thread

_shared: dict[str, InProcessEmulator] = {}


@pytest.fixture(scope="session")
def node_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    """One emulator with a process-running kubelet for the session, also when another test module
    imports this fixture (pytest then sees a second definition; both share the instance)."""
    if "node" in _shared:
        yield _shared["node"]
        return
    home: Path = tmp_path_factory.mktemp("node-home")
    emu = _shared["node"] = start_in_thread(EmulatorConfig(home=home, kubelet=True))
    try:
        yield emu
    finally:
        _shared.pop("node", None)
        emu.stop()


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")


@dataclass
class Cluster:
    emulator: InProcessEmulator
    section: Any
    store: Any

    @property
    def kubelet(self) -> Any:
        return self.section.kubelet

    @property
    def key(self) -> str:
        return self.store.cluster_key

    def pods(self, app: str | None = None, namespace: str = "default") -> list[dict[str, Any]]:
        pods = self.store.list("pods", namespace)[0]
        return [p for p in pods if app is None or (p["metadata"].get("labels") or {}).get("app") == app]

    def pod(self, app: str, namespace: str = "default") -> dict[str, Any]:
        return wait_for(lambda: next(iter(self.pods(app, namespace)), None), what=f"a pod of {app}")

    def ready_pod(self, app: str, namespace: str = "default", timeout: float = 30.0) -> dict[str, Any]:
        def ready():
            for p in self.pods(app, namespace):
                statuses = (p.get("status") or {}).get("containerStatuses") or []
                if statuses and all(s.get("ready") for s in statuses):
                    return p
            return None
        return wait_for(ready, timeout, f"a ready pod of {app}")

    def log(self, pod: dict[str, Any], container: str | None = None, previous: bool = False) -> str:
        name = container or pod["spec"]["containers"][0]["name"]
        path = self.section.log_file(self.key, pod["metadata"]["namespace"], pod["metadata"]["name"], name, previous)
        return path.read_text() if path else ""

    def events(self, pod: dict[str, Any]) -> list[tuple[str, str, str]]:
        events = self.store.list("events", pod["metadata"]["namespace"])[0]
        return [(e["type"], e["reason"], e["message"]) for e in events
                if e["involvedObject"].get("uid") == pod["metadata"]["uid"]]

    def worker(self, pod: dict[str, Any]) -> Any:
        return self.kubelet.worker(self.key, pod["metadata"]["namespace"], pod["metadata"]["name"])


@pytest.fixture
def cluster(node_emulator: InProcessEmulator) -> Cluster:
    """The node emulator reset to `before-you-begin`, its store's seeded pods all ready."""
    info = node_emulator.info
    requests.post(f"{info.url}/_emulator/reset", json={"scenario": "before-you-begin"},
                  headers={"x-emulator-admin-key": info.admin_key}, verify=info.ca_cert).raise_for_status()
    backend = node_emulator.backend
    section = backend.state.sections["kubernetes"]
    doc = backend.state.resources.of_type("Microsoft.ContainerService/managedClusters")[0]
    c = Cluster(node_emulator, section, section.store_for(doc))
    for app in ("ai-service", "product-service", "store-admin"):
        c.ready_pod(app)
    return c
