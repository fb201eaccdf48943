"""What the controllers share about objects: owner references, readiness, termination, the node,
and the field managers their writes are recorded under (managedFields), as on a real cluster."""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store import ClusterStore

CONTROLLER_MANAGER = "kube-controller-manager"
SCHEDULER = "kube-scheduler"
API_SERVER = "kube-apiserver"  # the objects kube-apiserver itself makes: default namespaces, `kubernetes` Service


def owner_ref(obj: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def controller_uid(obj: dict[str, Any]) -> str | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def is_ready(pod: dict[str, Any]) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def terminating(obj: dict[str, Any]) -> bool:
    """Marked for deletion (a deletionTimestamp), waiting for finalizers or dependents."""
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def node_name(store: ClusterStore) -> str:
    """The name of the cluster's one node, stable per cluster (AKS's VMSS naming)."""
    digits = str(int(hashlib.sha256(store.cluster_key.encode()).hexdigest(), 16))[-8:]
    return f"aks-nodepool1-{digits}-vmss000000"
