"""Pod status as the kubelet reports it: phase, conditions, addresses, container statuses."""
from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

HOST_IP = "10.224.0.4"


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def image_id(image: str) -> str:
    repository = image.split("@", 1)[0].rsplit(":", 1)[0] if "/" in image else image.split(":", 1)[0]
    return f"{repository}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def container_id(pod_uid: str, name: str, instance: int) -> str:
    return "containerd://" + hashlib.sha256(f"{pod_uid}/{name}/{instance}".encode()).hexdigest()


@dataclass
class ContainerState:
    name: str
    image: str
    state: dict[str, Any] = field(default_factory=lambda: {"waiting": {"reason": "ContainerCreating"}})
    last_state: dict[str, Any] = field(default_factory=dict)
    ready: bool = False
    started: bool = False
    restart_count: int = 0
    container_id: str = ""
    image_pulled: bool = False

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "image": self.image, "imageID": image_id(self.image) if
                               self.image_pulled else "", "ready": self.ready, "restartCount": self.restart_count,
                               "started": self.started, "state": self.state, "lastState": self.last_state}
        if self.container_id:
            out["containerID"] = self.container_id
        return out


def _condition(type_: str, ok: bool, since: dict[str, tuple[bool, str]], reason: str | None = None) -> dict[str, Any]:
    """A pod condition; `since` remembers, per type, the last status and when it last changed."""
    previous = since.get(type_)
    if previous is None or previous[0] != ok:
        since[type_] = (ok, now_iso())
    out: dict[str, Any] = {"type": type_, "status": "True" if ok else "False", "lastProbeTime": None,
                           "lastTransitionTime": since[type_][1]}
    if not ok and reason:
        out["reason"] = reason
    return out


def pod_status(*, containers: list[ContainerState], init_containers: list[ContainerState], pod_ip: str | None,
               start_time: str, since: dict[str, tuple[bool, str]], qos: str = "Burstable") -> dict[str, Any]:
    """The whole status block for a scheduled pod."""
    all_ready = bool(containers) and all(c.ready for c in containers)
    any_started = any("running" in c.state or c.restart_count for c in containers)
    initialized = all("terminated" in c.state for c in init_containers)
    phase = "Running" if any_started else "Pending"
    not_ready = [c.name for c in containers if not c.ready]
    conditions = [
        _condition("PodReadyToStartContainers", pod_ip is not None, since),
        _condition("Initialized", initialized, since, "ContainersNotInitialized"),
        _condition("Ready", all_ready, since, "ContainersNotReady"),
        _condition("ContainersReady", all_ready, since, "ContainersNotReady"),
        _condition("PodScheduled", True, since),
    ]
    if not all_ready:
        for c in conditions[2:4]:
            c["message"] = f"containers with unready status: [{' '.join(not_ready)}]"
    status: dict[str, Any] = {"phase": phase, "conditions": conditions, "hostIP": HOST_IP,
                              "hostIPs": [{"ip": HOST_IP}], "startTime": start_time, "qosClass": qos,
                              "containerStatuses": [c.status() for c in containers]}
    if init_containers:
        status["initContainerStatuses"] = [c.status() for c in init_containers]
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    return status


def qos_class(pod: dict[str, Any]) -> str:
    containers = (pod.get("spec") or {}).get("containers") or []
    resources = [c.get("resources") or {} for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    guaranteed = all((r.get("limits") or {}).get(k) and (r.get("requests") or {}).get(k, (r.get("limits") or {})[k])
                     == (r.get("limits") or {})[k] for r in resources for k in ("cpu", "memory"))
    return "Guaranteed" if guaranteed else "Burstable"
