"""The controllers of kube-controller-manager and the scheduler, for the kinds served here: one
module per controller, and `ControllerManager`, which tells them of store changes.

Driven by store changes: `observe()` queues work items on the store, which runs them when the
outermost write returns (see store.py), so nothing here ever waits or blocks a request.

- namespace.py: the objects a cluster and each namespace start with; namespace termination;
- deployment.py: Deployment -> ReplicaSets (rolling update, Recreate, status and conditions);
- replicaset.py: ReplicaSet -> Pods; scheduler.py: Pod -> the node;
- service.py: load balancer addresses, Endpoints and EndpointSlices;
- garbage_collector.py: ownerReferences, Background/Foreground/Orphan propagation;
- objects.py: what they share (owner references, readiness, termination, the node's name).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import kinds
from .deployment import DeploymentController, template_hash
from .garbage_collector import GarbageCollector
from .namespace import NamespaceController
from .objects import controller_uid, is_ready, node_name, owner_ref, terminating
from .replicaset import ReplicaSetController
from .scheduler import Scheduler
from .service import ServiceController

if TYPE_CHECKING:
    from ..store import ClusterStore

__all__ = ["ControllerManager", "controller_uid", "is_ready", "node_name", "owner_ref", "template_hash"]


class ControllerManager:
    """One cluster's controllers, and the dispatch from a store change to the work it causes."""

    def __init__(self, store: ClusterStore):
        self.store = store
        self.namespaces = NamespaceController(store)
        self.garbage_collector = GarbageCollector(store)
        self.scheduler = Scheduler(store)
        self.replicasets = ReplicaSetController(store)
        self.deployments = DeploymentController(store, self.replicasets)
        self.services = ServiceController(store)

    def bootstrap_cluster(self) -> None:
        """Create what a new cluster starts with (namespaces, node, the kubernetes and kube-dns services)."""
        self.namespaces.bootstrap_cluster()

    # -- what the store asks of the garbage collector while deleting ----------------------
    def has_dependents(self, obj: dict[str, Any]) -> bool:
        return self.garbage_collector.has_dependents(obj)

    def orphan(self, obj: dict[str, Any]) -> None:
        self.garbage_collector.orphan(obj)

    # -- dispatch ------------------------------------------------------------------------
    def observe(self, type_: str, resource: str, obj: dict[str, Any], prev: dict[str, Any] | None) -> None:
        s, meta = self.store, obj.get("metadata") or {}
        ns, name = meta.get("namespace") or "", meta.get("name") or ""
        if type_ == "DELETED" and meta.get("uid"):
            s.enqueue(self.garbage_collector.collect_dependents, meta["uid"])
            for ref in meta.get("ownerReferences") or []:  # an owner waiting in foreground deletion
                owner_kind = kinds.by_api_version(ref.get("apiVersion", ""), ref.get("kind", ""))
                if owner_kind is not None:
                    s.enqueue(self.garbage_collector.foreground, owner_kind.resource,
                              ns if owner_kind.namespaced else "", ref.get("name", ""))
        if type_ == "MODIFIED" and terminating(obj) and "foregroundDeletion" in (meta.get("finalizers") or []):
            s.enqueue(self.garbage_collector.foreground, resource, ns, name)
        if resource == "namespaces":
            if terminating(obj):
                s.enqueue(self.namespaces.terminate_namespace, name)
            elif type_ != "DELETED":
                s.enqueue(self.namespaces.bootstrap_namespace, name)
        elif resource in ("serviceaccounts", "configmaps") and type_ == "DELETED":
            s.enqueue(self.namespaces.bootstrap_namespace, ns)
        elif resource == "serviceaccounts" and type_ == "ADDED":
            for rs_name in s.names("replicasets", ns):
                s.enqueue(self.replicasets.sync_replicaset, ns, rs_name)
        elif resource == "deployments" and type_ != "DELETED":
            s.enqueue(self.deployments.sync_deployment, ns, name)
        elif resource == "replicasets":
            if type_ != "DELETED":
                s.enqueue(self.replicasets.sync_replicaset, ns, name)
            self._enqueue_owner(obj, "Deployment", self.deployments.sync_deployment)
        elif resource == "pods":
            self._enqueue_owner(obj, "ReplicaSet", self.replicasets.sync_replicaset)
            if type_ != "DELETED" and not (obj.get("spec") or {}).get("nodeName"):
                s.enqueue(self.scheduler.schedule, ns, name)
            for svc_name in s.names("services", ns):
                s.enqueue(self.services.sync_endpoints, ns, svc_name)
        elif resource == "nodes" and type_ == "MODIFIED":  # new labels: a pod the node did not fit may fit now
            for pod in s.list("pods", predicate=lambda p: not (p.get("spec") or {}).get("nodeName"))[0]:
                s.enqueue(self.scheduler.schedule, pod["metadata"].get("namespace") or "", pod["metadata"]["name"])
        elif resource == "services":
            if type_ == "DELETED":
                s.enqueue(self.services.drop_endpoints, ns, name)
            else:
                s.enqueue(self.services.sync_endpoints, ns, name)
                s.enqueue(self.services.sync_load_balancer, ns, name)

    def _enqueue_owner(self, obj: dict[str, Any], kind: str, fn: Any) -> None:
        for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
            if ref.get("controller") and ref.get("kind") == kind:
                self.store.enqueue(fn, obj["metadata"].get("namespace") or "", ref.get("name"))
