"""`backend.state.sections["kubernetes"]`: every cluster's object store (its API server).

The section is built once, by the assembly (`keyless_emulator.assembly`), with everything it
works with given to it there:

    section.store(cluster_key) -> ClusterStore | None      (made on first use for an existing cluster)
    section.stores -> {cluster_key: ClusterStore}
    build_store(section, cluster_key, dumped) -> ClusterStore   one cluster's API server: its store,
        controllers and the node's view of it (the assembly's `cluster_api_server`)
    section.admission_plugins: [fn(AdmissionRequest) -> dict]   the pod CREATE admission chain's
        plugins after the built-in ones (see admission.py): the workload identity webhook
    section.seeders: [fn(backend, store, scenario)]   run after a scenario loads (and for a new
        tenant's cluster), under the frozen clock in deterministic mode, so seeded objects are
        part of the deterministic snapshot
    section.snapshot_placeholders: [fn() -> [(value, placeholder)]]   installation-specific
        strings (URL and CA are built in) that snapshots hold as placeholders
    section.kubelet: the node agent; the service proxy, pod proxy and pod logs ask it
        (`endpoint_resolver`, `pod_resolver`, `log_provider`: its answers, replaceable in tests).
        A log file has one line per entry: `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`
        (the CRI format kubelets write; a line without that prefix is taken as text)

A cluster's store is bootstrapped (namespaces default/kube-system/kube-public/kube-node-lease,
the `kubernetes` and `kube-dns` services, one node, each namespace's default ServiceAccount and
kube-root-ca.crt) when made; it is dropped when its managed cluster is deleted
(`resources_removed`, which the state calls). The backend calls `scenario_loaded`,
`tenant_added` and `shutdown`. snapshot()/restore()/clear() cover every store; snapshots list
objects sorted by resource, namespace and name. In deterministic mode a seeding from a start seen
before replays what that one committed (`section.seeded`, seeded.py).
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .. import clusters
from . import seeded
from .admission import AdmissionPlugin
from .snapshots import PlaceholderProvider
from .store import ClusterStore

if TYPE_CHECKING:
    from ..backend import Backend

log = logging.getLogger("keyless_emulator.kubernetes")

Resolver = Callable[[str, str, str, str], "str | None"]
LogProvider = Callable[[str, str, str, str, bool], "Path | None"]
Seeder = Callable[["Backend", ClusterStore, str], None]
StoreBuilder = Callable[["KubernetesSection", str, "dict[str, Any] | None"], ClusterStore]


class NodeAgent(Protocol):
    """What the section asks of the node (the kubelet): where a service's or pod's port is served,
    a container's log file, and stopping everything at shutdown."""

    def service_address(self, cluster: str, namespace: str, service: str, port: str) -> str | None: ...

    def pod_address(self, cluster: str, namespace: str, pod: str, port: str) -> str | None: ...

    def log_file(self, cluster: str, namespace: str, pod: str, container: str, previous: bool) -> Path | None: ...

    def shutdown(self) -> None: ...


class KubernetesSection:
    name = "kubernetes"

    def __init__(self, backend: Backend, *, build_store: StoreBuilder,
                 admission_plugins: Iterable[AdmissionPlugin] = (), seeders: Iterable[Seeder] = (),
                 snapshot_placeholders: Iterable[PlaceholderProvider] = (), kubelet: NodeAgent | None = None):
        self.backend = backend
        self.stores: dict[str, ClusterStore] = {}
        self.build_store = build_store
        self.admission_plugins: list[AdmissionPlugin] = list(admission_plugins)
        self.seeders: list[Seeder] = list(seeders)
        # secrets of this data folder that objects may hold (an API key in a pod template), replaced in snapshots
        self.snapshot_placeholders: list[PlaceholderProvider] = list(snapshot_placeholders)
        self.kubelet = kubelet
        self.endpoint_resolver: Resolver | None = kubelet.service_address if kubelet else None
        self.pod_resolver: Resolver | None = kubelet.pod_address if kubelet else None
        self.log_provider: LogProvider | None = kubelet.log_file if kubelet else None
        self.watch_timeout_seconds = 1800.0  # when the client names none (kube-apiserver: 30-60 min)
        self.bookmark_interval = 60.0
        self.watch_history = 10000  # changes a store keeps for watches resuming from a resourceVersion
        self._seeding = False  # inside seed_all: timestamps come from the frozen clock
        self.seeded = seeded.SeededClusters()  # deterministic seedings' changes, replayed by later ones

    # -- stores ---------------------------------------------------------------------------
    def _make(self, cluster_key: str, dumped: dict[str, Any] | None = None) -> ClusterStore:
        store = self.build_store(self, cluster_key, dumped)
        self.stores[cluster_key] = store
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
        """Make every cluster's store (of one subscription, or all) and run the seeders.

        In deterministic mode a seeding is a function of what it starts from (the Resource Manager
        documents, the ids drawn so far, the seeders and admission plugins), so the changes one seeding
        committed are kept (`seeded.py`) and a later seeding from the same start replays them instead of
        running the bootstrap, the seeders and the controllers again: every reset of the tests' `fresh`
        fixture is one, and the controllers were most of its cost."""
        state = self.backend.state
        with state.lock:
            self._seeding = True
            try:
                with self._seed_clock():
                    docs = [doc for doc in state.resources.of_type(clusters.CLUSTER_TYPE)
                            if not subscription_id or doc["id"].split("/")[2].lower() == subscription_id.lower()]
                    keys = [clusters.cluster_meta(state, doc["id"])["cluster_key"] for doc in docs]
                    start = self._seed_start(scenario, keys)
                    recorded = self.seeded.get(start) if start is not None else None
                    if recorded is not None:
                        for key in keys:
                            self._make(key).replay(recorded.changes[key])
                        state.ids.load(recorded.ids_after)
                        return
                    made: dict[str, ClusterStore] = {}
                    for doc in docs:
                        store = self.store_for(doc)
                        if store is None:
                            continue
                        made[store.cluster_key] = store
                        for seeder in list(self.seeders):
                            seeder(self.backend, store, scenario)
                    if start is not None and sorted(made) == sorted(keys):
                        self.seeded.keep(start, made, state.ids.dump())
            finally:
                self._seeding = False

    def _seed_start(self, scenario: str, keys: list[str]) -> str | None:
        """What a seeding of `keys` starts from, as a key of `seeded`; None if it may not be replayed (not in
        deterministic mode, or a store of these clusters exists already)."""
        if not self.backend.config.deterministic or any(key in self.stores for key in keys):
            return None
        state = self.backend.state
        directory = {"principals": sorted(state.principals), "settings": state.settings}
        return seeded.start_key(scenario, keys, self.backend.base_url, state.resources.dump(), state.ids.dump(),
                                directory, [*self.seeders, *self.admission_plugins])

    def drop(self, cluster_key: str) -> None:
        store = self.stores.pop(cluster_key, None)
        if store is not None:
            for pod in store.list("pods")[0]:
                if store.node is not None:
                    try:
                        store.node.observe("DELETED", "pods", pod)
                    except Exception:
                        log.exception("the node failed while dropping cluster %s", cluster_key)
            store.close()

    # -- what the backend and the state tell the section ---------------------------------
    def scenario_loaded(self, scenario: str) -> None:
        self.seed_all(scenario)

    def tenant_added(self, subscription_id: str, scenario: str | None = None) -> None:
        """A new workshop tenant's clusters (seeded as the loaded scenario), or one reset to `scenario`."""
        self.seed_all(scenario or self.backend.state.scenario or "", subscription_id)

    def resources_removed(self, removed: list[dict[str, Any]]) -> None:
        """Drop the stores of deleted managed clusters (their pods stop with them)."""
        if not any(doc.get("type", "").lower() == clusters.CLUSTER_TYPE.lower() for doc in removed):
            return
        for key, store in list(self.stores.items()):
            if store.cluster.doc is None:  # its managed cluster is gone
                self.drop(key)

    # -- what the API server asks of the node ---------------------------------------------
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
        """End every open watch, then stop the node's processes and forwarders."""
        for store in list(self.stores.values()):
            store.close()
        if self.kubelet is not None:
            self.kubelet.shutdown()
