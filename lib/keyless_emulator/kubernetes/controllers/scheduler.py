"""The scheduler: binds pending pods to the cluster's one node (a `Scheduled` event), or leaves
them Pending with `FailedScheduling` when their nodeSelector does not match the node's labels."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..plain import clone
from .objects import SCHEDULER, node_name, terminating

if TYPE_CHECKING:
    from ..store import ClusterStore


class Scheduler:
    """Binds pending pods to the node."""

    def __init__(self, store: ClusterStore):
        self.store = store

    # -- scheduler -----------------------------------------------------------------------
    def schedule(self, namespace: str, name: str) -> None:
        s = self.store
        pod = s.find("pods", namespace, name)
        if pod is None or terminating(pod) or (pod.get("spec") or {}).get("nodeName"):
            return
        node = node_name(s)
        labels = ((s.find("nodes", None, node) or {}).get("metadata") or {}).get("labels") or {}
        wanted = (pod.get("spec") or {}).get("nodeSelector") or {}
        if any(labels.get(k) != v for k, v in wanted.items()):
            status = clone(pod.get("status") or {})
            message = ("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: "
                       "0/1 nodes are available: 1 Preemption is not helpful for scheduling.")
            condition = {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                         "lastTransitionTime": s.now(), "reason": "Unschedulable", "message": message}
            if condition["reason"] not in [c.get("reason") for c in status.get("conditions") or []]:
                status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
                status["conditions"].append(condition)
                pod = s.update_status("pods", namespace, name, status, manager=SCHEDULER)
                s.record_event(pod, "FailedScheduling", message, type="Warning", source_component="default-scheduler")
            return
        pod = s.bind(namespace, name, node)
        status = clone(pod.get("status") or {})
        status.setdefault("conditions", []).append(
            {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": s.now()})
        pod = s.update_status("pods", namespace, name, status, manager=SCHEDULER)
        s.record_event(pod, "Scheduled", f"Successfully assigned {namespace}/{name} to {node}",
                       source_component="default-scheduler")
