"""Events as the cluster's components record them: what an Event about an object looks like,
when a new one is only a repeat of a recent one (its count goes up instead), and which old
ones go when there are too many. The store (`ClusterStore.record_event`) writes them.
"""
from __future__ import annotations

from typing import Any

from .plain import clone

MAX_EVENTS = 2000


def reference(involved_object: dict[str, Any], field_path: str | None) -> dict[str, Any]:
    """The involvedObject of an Event about `involved_object` (empty fields left out)."""
    meta = involved_object.get("metadata") or {}
    ref = {"kind": involved_object.get("kind"), "namespace": meta.get("namespace"), "name": meta.get("name"),
           "uid": meta.get("uid"), "apiVersion": involved_object.get("apiVersion"),
           "resourceVersion": meta.get("resourceVersion")}
    if field_path:
        ref["fieldPath"] = field_path
    return {k: v for k, v in ref.items() if v}


def source(component: str, host: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"component": component}
    if host:
        out["host"] = host
    return out


def is_repeat(existing: dict[str, Any], namespace: str, ref: dict[str, Any], reason: str, message: str,
              type_: str, event_source: dict[str, Any]) -> bool:
    """The same event about the same object again (kubelets and controllers count repeats)."""
    inv = existing.get("involvedObject") or {}
    return (existing["metadata"]["namespace"] == namespace and inv.get("uid") == ref.get("uid")
            and inv.get("name") == ref.get("name") and existing.get("reason") == reason
            and existing.get("message") == message and existing.get("type") == type_
            and existing.get("source") == event_source and inv.get("fieldPath") == ref.get("fieldPath"))


def repeated(existing: dict[str, Any], now: str) -> dict[str, Any]:
    new = clone(existing)
    new["count"] = int(new.get("count", 1)) + 1
    new["lastTimestamp"] = now
    return new


def new_event(*, name: str, namespace: str, uid: str, ref: dict[str, Any], reason: str, message: str, type_: str,
              event_source: dict[str, Any], host: str | None, now: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": namespace, "uid": uid, "creationTimestamp": now},
            "involvedObject": ref, "reason": reason, "message": message, "source": event_source,
            "firstTimestamp": now, "lastTimestamp": now, "count": 1, "type": type_, "eventTime": None,
            "reportingComponent": event_source["component"], "reportingInstance": host or ""}


def beyond_limit(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The oldest events past the newest MAX_EVENTS (kube-apiserver expires them after an hour instead)."""
    limit = MAX_EVENTS
    if len(events) <= limit:
        return []
    oldest = sorted(events, key=lambda e: int(e["metadata"]["resourceVersion"]))
    return oldest[:len(events) - limit]
