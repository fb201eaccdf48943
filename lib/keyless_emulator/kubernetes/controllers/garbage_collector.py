"""The garbage collector: dependents follow their owners (ownerReferences) with Background,
Foreground or Orphan propagation, as kube-controller-manager's does."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..plain import clone
from .objects import CONTROLLER_MANAGER, terminating

if TYPE_CHECKING:
    from ..store import ClusterStore


class GarbageCollector:
    """Deletes, waits for or orphans the dependents of deleted owners."""

    def __init__(self, store: ClusterStore):
        self.store = store

    # -- garbage collector ---------------------------------------------------------------
    def dependents(self, uid: str) -> list[tuple[str, dict[str, Any]]]:
        return [(r, o) for r, o in self.store.all_objects()
                if any(ref.get("uid") == uid for ref in (o.get("metadata") or {}).get("ownerReferences") or [])]

    def has_dependents(self, obj: dict[str, Any]) -> bool:
        return bool(self.dependents(obj["metadata"]["uid"]))

    def orphan(self, obj: dict[str, Any]) -> None:
        uid = obj["metadata"]["uid"]
        for resource, dep in self.dependents(uid):
            refs = [r for r in dep["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
            new = clone(dep)
            if refs:
                new["metadata"]["ownerReferences"] = refs
            else:
                new["metadata"].pop("ownerReferences", None)
            self.store.replace(resource, new, dep["metadata"].get("namespace"), dep["metadata"]["name"],
                               manager=CONTROLLER_MANAGER)

    def collect_dependents(self, uid: str) -> None:
        for resource, dep in self.dependents(uid):
            meta = dep["metadata"]
            try:
                self.store.delete(resource, meta.get("namespace"), meta["name"], propagation="Background")
            except errors.KubeError:
                pass

    def foreground(self, resource: str, namespace: str, name: str) -> None:
        s = self.store
        owner = s.find(resource, namespace, name)
        if owner is None or not terminating(owner) or "foregroundDeletion" not in (owner["metadata"].get(
                "finalizers") or []):
            return
        for dep_resource, dep in self.dependents(owner["metadata"]["uid"]):
            s.delete(dep_resource, dep["metadata"].get("namespace"), dep["metadata"]["name"], propagation="Foreground")
        if not self.dependents(owner["metadata"]["uid"]):
            owner = s.get(resource, namespace, name)
            owner["metadata"]["finalizers"] = [f for f in owner["metadata"].get("finalizers") or []
                                               if f != "foregroundDeletion"]
            s.replace(resource, owner, namespace, name, manager=CONTROLLER_MANAGER)
