"""`backend.state.sections["kubernetes"]`: every cluster's object store, and the extension points.

    section = backend.state.sections["kubernetes"]
    section.store(cluster_key) -> ClusterStore | None      (made on first use for an existing cluster)
    section.stores -> {cluster_key: ClusterStore}
    section.admission_plugins: list[fn(AdmissionRequest) -> dict]   pod CREATE (see admission.py)
    section.on_store_created: list[fn(store)]   e.g. the kubelet subscribing `store.listeners`; runs
        once the store holds its objects (bootstrapped later, or restored from a snapshot), so a
        hook should look at `store.list("pods")` as well as listen
    section.seeders: list[fn(backend, store, scenario)]   run after a scenario loads (and for a new
        tenant's cluster), under the frozen clock in deterministic mode, so seeded objects are
        part of the deterministic snapshot
    section.endpoint_resolver: fn(cluster_key, namespace, service, port) -> "host:port" | None
    section.pod_resolver: fn(cluster_key, namespace, pod, port) -> "host:port" | None
    section.snapshot_placeholders: list[fn() -> [(value, placeholder)]]   installation-specific
        strings (URL and CA are built in) that snapshots hold as placeholders
    section.log_provider: fn(cluster_key, namespace, pod, container, previous) -> Path | None
        the container's log file, one line per entry: `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`
        (the CRI format kubelets write; a line without that prefix is taken as text)

A cluster's store is bootstrapped (namespaces default/kube-system/kube-public/kube-node-lease,
the `kubernetes` and `kube-dns` services, one node, each namespace's default ServiceAccount and
kube-root-ca.crt) when made; it is dropped when its managed cluster is deleted
(`state.on_delete`). snapshot()/restore()/clear() cover every store; snapshots list objects
sorted by resource, namespace and name.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import clusters
from .admission import AdmissionPlugin
from .controllers import ControllerManager
from .store import ClusterStore

if TYPE_CHECKING:
    from ..backend import Backend
    from ..state import EmulatorState

log = logging.getLogger("keyless_emulator.kubernetes")

Resolver = Callable[[str, str, str, str], "str | None"]
LogProvider = Callable[[str, str, str, str, bool], "Path | None"]


class KubernetesSection:
    name = "kubernetes"

    def __init__(self, backend: Backend):
        self.backend = backend
        self.stores: dict[str, ClusterStore] = {}
        self.admission_plugins: list[AdmissionPlugin] = []
        self.on_store_created: list[Callable[[ClusterStore], None]] = []
        self.seeders: list[Callable[[Backend, ClusterStore, str], None]] = []
        self.endpoint_resolver: Resolver | None = None
        self.pod_resolver: Resolver | None = None
        self.log_provider: LogProvider | None = None
        self.watch_timeout_seconds = 1800.0  # when the client names none (kube-apiserver: 30-60 min)
        self.bookmark_interval = 60.0
        self.watch_history = 10000  # changes a store keeps for watches resuming from a resourceVersion
        self._seeding = False  # inside seed_all: timestamps come from the frozen clock
        # fn() -> [(installation-specific value, placeholder)]: secrets of this data folder that
        # objects may hold (an API key in a pod template), replaced in snapshots
        self.snapshot_placeholders: list[Callable[[], list[tuple[str, str]]]] = []

    # -- stores ---------------------------------------------------------------------------
    def _make(self, cluster_key: str, dumped: dict[str, Any] | None = None) -> ClusterStore:
        store = ClusterStore(self, cluster_key)
        store.controllers = ControllerManager(store)
        if dumped is not None:
            store.load(dumped)
        self.stores[cluster_key] = store
        for hook in list(self.on_store_created):
            try:
                hook(store)
            except Exception:
                log.exception("store-created hook %r failed", hook)
        return store

    def store(self, cluster_key: str) -> ClusterStore | None:
        """The cluster's store, made and bootstrapped on first use; None if no such cluster exists."""
        state = self.backend.state
        with state.lock:
            store = self.stores.get(cluster_key)
            if store is not None:
                return store
            if clusters.cluster_by_key(state, cluster_key) is None:
                return None
            store = self._make(cluster_key)
            with self._seed_clock():
                store.controllers.bootstrap_cluster()
            return store

    def store_for(self, doc: dict[str, Any]) -> ClusterStore | None:
        return self.store(clusters.cluster_meta(self.backend.state, doc["id"])["cluster_key"])

    @contextlib.contextmanager
    def _seed_clock(self):
        """The frozen clock while a scenario is being seeded in deterministic mode."""
        if self.backend.config.deterministic and self._seeding:
            with self.backend.clock.frozen():
                yield
        else:
            yield

    def seed_all(self, scenario: str, subscription_id: str | None = None) -> None:
        """Make every cluster's store (of one subscription, or all) and run the seeders."""
        state = self.backend.state
        with state.lock:
            self._seeding = True
            try:
                with self._seed_clock():
                    for doc in state.resources.of_type(clusters.CLUSTER_TYPE):
                        if subscription_id and doc["id"].split("/")[2].lower() != subscription_id.lower():
                            continue
                        store = self.store_for(doc)
                        if store is None:
                            continue
                        for seeder in list(self.seeders):
                            seeder(self.backend, store, scenario)
            finally:
                self._seeding = False

    def drop(self, cluster_key: str) -> None:
        store = self.stores.pop(cluster_key, None)
        if store is not None:
            for pod in store.list("pods")[0]:
                for fn in list(store.listeners):
                    try:
                        fn("DELETED", "pods", pod)
                    except Exception:
                        log.exception("listener failed while dropping cluster %s", cluster_key)
            store.close()

    def on_resources_deleted(self, state: EmulatorState, removed: list[dict[str, Any]]) -> None:
        if not any(doc.get("type", "").lower() == clusters.CLUSTER_TYPE.lower() for doc in removed):
            return
        for key, store in list(self.stores.items()):
            if store.cluster.doc is None:  # its managed cluster is gone
                self.drop(key)

    # -- resolvers (filled by the kubelet) ------------------------------------------------
    def endpoints(self, cluster_key: str, namespace: str, service: str, port: str) -> str | None:
        return self.endpoint_resolver(cluster_key, namespace, service, port) if self.endpoint_resolver else None

    def pod_address(self, cluster_key: str, namespace: str, pod: str, port: str) -> str | None:
        return self.pod_resolver(cluster_key, namespace, pod, port) if self.pod_resolver else None

    def log_file(self, cluster_key: str, namespace: str, pod: str, container: str, previous: bool) -> Path | None:
        return self.log_provider(cluster_key, namespace, pod, container, previous) if self.log_provider else None

    # -- StateSection ---------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.backend.state.lock:
            return {"clusters": {key: self.stores[key].dump() for key in sorted(self.stores)}}

    def restore(self, data: dict[str, Any]) -> None:
        with self.backend.state.lock:
            for key in list(self.stores):
                self.drop(key)
            for key, dumped in sorted((data.get("clusters") or {}).items()):
                self._make(key, dumped)

    def clear(self) -> None:
        with self.backend.state.lock:
            for key in list(self.stores):
                self.drop(key)

    def shutdown(self) -> None:
        for store in list(self.stores.values()):
            store.close()
