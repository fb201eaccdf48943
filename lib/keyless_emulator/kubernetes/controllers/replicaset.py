"""The ReplicaSet controller: keeps `spec.replicas` pods (`<replicaset>-<5 chars>`) from the
template; a refused pod becomes a FailedCreate event; status counts ready and available pods."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..plain import clone
from ..selectors import match_label_selector
from .objects import CONTROLLER_MANAGER, controller_uid, is_ready, owner_ref, terminating

if TYPE_CHECKING:
    from ..store import ClusterStore


class ReplicaSetController:
    """Creates and removes the pods of replica sets; reports their status."""

    def __init__(self, store: ClusterStore):
        self.store = store

    # -- replica sets --------------------------------------------------------------------
    def owned_pods(self, rs: dict[str, Any]) -> list[dict[str, Any]]:
        uid = rs["metadata"]["uid"]
        ns = rs["metadata"]["namespace"]
        return self.store.list("pods", ns, lambda p: controller_uid(p) == uid and not terminating(p))[0]

    def sync_replicaset(self, namespace: str, name: str) -> None:
        s = self.store
        rs = s.find("replicasets", namespace, name)
        if rs is None or terminating(rs):
            return
        pods = self.owned_pods(rs)
        want = int((rs.get("spec") or {}).get("replicas", 1))
        if len(pods) < want:
            for _ in range(want - len(pods)):
                if not self._create_pod(rs):
                    break
        elif len(pods) > want:
            ranked = sorted(pods, key=lambda p: (bool((p.get("spec") or {}).get("nodeName")), is_ready(p),
                                                 -int(p["metadata"]["resourceVersion"])))
            for pod in ranked[:len(pods) - want]:
                s.delete("pods", namespace, pod["metadata"]["name"])
                s.record_event(rs, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}",
                               source_component="replicaset-controller")
        pods = self.owned_pods(rs)
        rs = s.get("replicasets", namespace, name)
        ready = sum(1 for p in pods if is_ready(p))
        selector = (rs.get("spec") or {}).get("selector")
        status = {"replicas": len(pods),
                  "fullyLabeledReplicas": sum(1 for p in pods if match_label_selector(
                      selector, (p.get("metadata") or {}).get("labels") or {})),
                  "readyReplicas": ready, "availableReplicas": ready,
                  "observedGeneration": rs["metadata"].get("generation", 1)}
        status = {k: v for k, v in status.items() if v or k in ("replicas", "observedGeneration")}
        for c in (rs.get("status") or {}).get("conditions") or []:
            status.setdefault("conditions", []).append(c)
        if status != rs.get("status"):
            s.update_status("replicasets", namespace, name, status, manager=CONTROLLER_MANAGER)

    def _create_pod(self, rs: dict[str, Any]) -> bool:
        s = self.store
        template = clone((rs.get("spec") or {}).get("template") or {})
        tmeta = template.get("metadata") or {}
        pod = {"metadata": {"generateName": rs["metadata"]["name"] + "-", "namespace": rs["metadata"]["namespace"],
                            "labels": tmeta.get("labels") or {}, "ownerReferences": [owner_ref(rs)]},
               "spec": template.get("spec") or {}}
        if tmeta.get("annotations"):
            pod["metadata"]["annotations"] = tmeta["annotations"]
        try:
            created = s.create("pods", pod, rs["metadata"]["namespace"], manager=CONTROLLER_MANAGER)
        except errors.KubeError as e:
            s.record_event(rs, "FailedCreate", f"Error creating: {e.message}", type="Warning",
                           source_component="replicaset-controller")
            return False
        s.record_event(rs, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}",
                       source_component="replicaset-controller")
        return True
