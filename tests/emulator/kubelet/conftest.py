"""The seeded cluster of the kit's `node_emulator` (whose kubelet runs pods as processes), and
helpers to wait on its pods."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from kit import wait_for

from keyless_emulator import ControlClient, InProcessEmulator


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
    """The node emulator reset to `before-you-begin` (quiet: no faults, no delays), its store's seeded
    pods all ready."""
    ControlClient.of(node_emulator.info).quiet()
    backend = node_emulator.backend
    section = backend.state.sections["kubernetes"]
    doc = backend.state.resources.of_type("Microsoft.ContainerService/managedClusters")[0]
    c = Cluster(node_emulator, section, section.store_for(doc))
    for app in ("ai-service", "product-service", "store-admin"):
        c.ready_pod(app)
    return c
