"""Server-side printing: a `meta.k8s.io/v1` Table per kind, with kubectl's usual columns.

Asked for with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`; rows carry cells and a
PartialObjectMetadata (or the full object with includeObject=Object). Columns and cell rules
follow kube's printers (pods: NAME READY STATUS RESTARTS AGE [IP NODE ...], ...).
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from .controllers import is_ready
from .kinds import Kind
from .selectors import selector_string

Column = tuple[str, str, int, str]  # name, type, priority, format


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        sec = s % 60
        return f"{minutes}m" if sec == 0 else f"{minutes}m{sec}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def _age(ts: str | None, now: _dt.datetime) -> str:
    if not ts:
        return "<unknown>"
    when = _dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.UTC)
    return human_duration((now - when).total_seconds())


def _containers(spec: dict[str, Any]) -> tuple[str, str]:
    cs = spec.get("containers") or []
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


def _pod_status(pod: dict[str, Any]) -> str:
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        state = cs.get("state") or {}
        if (state.get("terminated") or {}).get("exitCode") == 0:
            continue
        if state.get("terminated"):
            reason = "Init:" + (state["terminated"].get("reason") or f"ExitCode:{state['terminated'].get('exitCode')}")
        elif (state.get("waiting") or {}).get("reason") not in (None, "PodInitializing"):
            reason = "Init:" + state["waiting"]["reason"]
        else:
            reason = f"Init:{i}/{len((pod.get('spec') or {}).get('initContainers') or [])}"
        initializing = True
        break
    if not initializing:
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            state = cs.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif (state.get("terminated") or {}).get("reason"):
                reason = state["terminated"]["reason"]
            elif state.get("terminated"):
                t = state["terminated"]
                reason = f"Signal:{t['signal']}" if t.get("signal") else f"ExitCode:{t.get('exitCode')}"
            elif state.get("running") and cs.get("ready"):
                has_running = True
        if reason == "Completed" and has_running:
            reason = "Running" if is_ready(pod) else "NotReady"
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason


def _pod_row(pod: dict[str, Any], now: _dt.datetime) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
    last_restart = None
    for c in statuses:
        finished = ((c.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        if finished and (last_restart is None or finished > last_restart):
            last_restart = finished
    restarts_cell: Any = restarts if not last_restart else f"{restarts} ({_age(last_restart, now)} ago)"
    gates = spec.get("readinessGates") or []
    return [pod["metadata"]["name"], f"{ready}/{len(spec.get('containers') or [])}", _pod_status(pod), restarts_cell,
            _age(pod["metadata"].get("creationTimestamp"), now), status.get("podIP") or "<none>",
            spec.get("nodeName") or "<none>", status.get("nominatedNodeName") or "<none>",
            f"0/{len(gates)}" if gates else "<none>"]


def _deployment_row(d: dict[str, Any], now: _dt.datetime) -> list[Any]:
    spec, status = d.get("spec") or {}, d.get("status") or {}
    names, images = _containers((spec.get("template") or {}).get("spec") or {})
    return [d["metadata"]["name"], f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
            status.get("updatedReplicas", 0), status.get("availableReplicas", 0),
            _age(d["metadata"].get("creationTimestamp"), now), names, images, selector_string(spec.get("selector"))]


def _replicaset_row(rs: dict[str, Any], now: _dt.datetime) -> list[Any]:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    names, images = _containers((spec.get("template") or {}).get("spec") or {})
    return [rs["metadata"]["name"], spec.get("replicas", 1), status.get("replicas", 0),
            status.get("readyReplicas", 0), _age(rs["metadata"].get("creationTimestamp"), now), names, images,
            selector_string(spec.get("selector"))]


def _service_ports(spec: dict[str, Any]) -> str:
    parts = []
    for p in spec.get("ports") or []:
        text = f"{p.get('port')}"
        if p.get("nodePort"):
            text += f":{p['nodePort']}"
        parts.append(f"{text}/{p.get('protocol', 'TCP')}")
    return ",".join(parts) or "<none>"


def _external_ip(svc: dict[str, Any]) -> str:
    spec = svc.get("spec") or {}
    stype = spec.get("type", "ClusterIP")
    external = list(spec.get("externalIPs") or [])
    if stype == "LoadBalancer":
        ingress = [i.get("ip") or i.get("hostname") for i in ((svc.get("status") or {}).get("loadBalancer") or {})
                   .get("ingress") or []]
        ips = [i for i in ingress if i] + external
        return ",".join(ips) if ips else "<pending>"
    if stype == "ExternalName":
        return spec.get("externalName") or "<none>"
    return ",".join(external) if external else "<none>"


def _service_row(svc: dict[str, Any], now: _dt.datetime) -> list[Any]:
    spec = svc.get("spec") or {}
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items())) or "<none>"
    return [svc["metadata"]["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP") or "<none>",
            _external_ip(svc), _service_ports(spec), _age(svc["metadata"].get("creationTimestamp"), now), selector]


def _event_row(ev: dict[str, Any], now: _dt.datetime) -> list[Any]:
    inv = ev.get("involvedObject") or {}
    source = ev.get("source") or {}
    src = source.get("component") or ev.get("reportingComponent") or ""
    if source.get("host"):
        src += ", " + source["host"]
    count = int(ev.get("count") or 1)
    last = _age(ev.get("lastTimestamp") or ev["metadata"].get("creationTimestamp"), now)
    first = _age(ev.get("firstTimestamp") or ev["metadata"].get("creationTimestamp"), now)
    last_seen = f"{last} (x{count} over {first})" if count > 1 else last
    return [last_seen, ev.get("type", ""), ev.get("reason", ""),
            f"{(inv.get('kind') or '').lower()}/{inv.get('name', '')}",
            inv.get("fieldPath", ""), src, ev.get("message", ""), first, count, ev["metadata"]["name"]]


def _node_row(node: dict[str, Any], now: _dt.datetime) -> list[Any]:
    status = node.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    state = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    if (node.get("spec") or {}).get("unschedulable"):
        state += ",SchedulingDisabled"
    roles = sorted(k.split("/", 1)[1] for k in (node["metadata"].get("labels") or {})
                   if k.startswith("node-role.kubernetes.io/")) or ["<none>"]
    info = status.get("nodeInfo") or {}
    internal = next((a["address"] for a in status.get("addresses") or [] if a.get("type") == "InternalIP"), "<none>")
    return [node["metadata"]["name"], state, ",".join(roles), _age(node["metadata"].get("creationTimestamp"), now),
            info.get("kubeletVersion", ""), internal, "<none>", info.get("osImage", "<unknown>"),
            info.get("kernelVersion", "<unknown>"), info.get("containerRuntimeVersion", "<unknown>")]


def _simple(*cells: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any], _dt.datetime], list[Any]]:
    def row(obj: dict[str, Any], now: _dt.datetime) -> list[Any]:
        return [obj["metadata"]["name"], *(c(obj) for c in cells), _age(obj["metadata"].get("creationTimestamp"), now)]
    return row


def _endpoints_text(ep: dict[str, Any]) -> str:
    addrs = [f"{a['ip']}:{p['port']}" for s in ep.get("subsets") or [] for p in s.get("ports") or [{"port": ""}]
             for a in s.get("addresses") or []]
    if not addrs:
        return "<none>"
    return ",".join(addrs[:3]) + (f" + {len(addrs) - 3} more..." if len(addrs) > 3 else "")


def _slice_ports(es: dict[str, Any]) -> str:
    ports = [str(p.get("port")) for p in es.get("ports") or [] if p.get("port") is not None]
    return ",".join(ports) if ports else "<unset>"


def _slice_endpoints(es: dict[str, Any]) -> str:
    addrs = [a for e in es.get("endpoints") or [] for a in e.get("addresses") or []]
    if not addrs:
        return "<none>"
    return ",".join(addrs[:3]) + (f" + {len(addrs) - 3} more..." if len(addrs) > 3 else "")


_NAME: Column = ("Name", "string", 0, "name")
_AGE: Column = ("Age", "string", 0, "")

COLUMNS: dict[str, tuple[list[Column], Callable[[dict[str, Any], _dt.datetime], list[Any]]]] = {
    "pods": ([_NAME, ("Ready", "string", 0, ""), ("Status", "string", 0, ""), ("Restarts", "string", 0, ""), _AGE,
              ("IP", "string", 1, ""), ("Node", "string", 1, ""), ("Nominated Node", "string", 1, ""),
              ("Readiness Gates", "string", 1, "")], _pod_row),
    "deployments": ([_NAME, ("Ready", "string", 0, ""), ("Up-to-date", "integer", 0, ""),
                     ("Available", "integer", 0, ""), _AGE, ("Containers", "string", 1, ""),
                     ("Images", "string", 1, ""), ("Selector", "string", 1, "")], _deployment_row),
    "replicasets": ([_NAME, ("Desired", "integer", 0, ""), ("Current", "integer", 0, ""), ("Ready", "integer", 0, ""),
                     _AGE, ("Containers", "string", 1, ""), ("Images", "string", 1, ""),
                     ("Selector", "string", 1, "")], _replicaset_row),
    "services": ([_NAME, ("Type", "string", 0, ""), ("Cluster-IP", "string", 0, ""), ("External-IP", "string", 0, ""),
                  ("Port(s)", "string", 0, ""), _AGE, ("Selector", "string", 1, "")], _service_row),
    "serviceaccounts": ([_NAME, ("Secrets", "string", 0, ""), _AGE],
                        _simple(lambda o: len(o.get("secrets") or []))),
    "namespaces": ([_NAME, ("Status", "string", 0, ""), _AGE],
                   _simple(lambda o: (o.get("status") or {}).get("phase", ""))),
    "secrets": ([_NAME, ("Type", "string", 0, ""), ("Data", "string", 0, ""), _AGE],
                _simple(lambda o: o.get("type", ""), lambda o: len(o.get("data") or {}))),
    "configmaps": ([_NAME, ("Data", "string", 0, ""), _AGE],
                   _simple(lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {}))),
    "endpoints": ([_NAME, ("Endpoints", "string", 0, ""), _AGE], _simple(_endpoints_text)),
    "endpointslices": ([_NAME, ("AddressType", "string", 0, ""), ("Ports", "string", 0, ""),
                        ("Endpoints", "string", 0, ""), _AGE],
                       _simple(lambda o: o.get("addressType", ""), _slice_ports, _slice_endpoints)),
    "events": ([("Last Seen", "string", 0, ""), ("Type", "string", 0, ""), ("Reason", "string", 0, ""),
                ("Object", "string", 0, ""), ("Subobject", "string", 1, ""), ("Source", "string", 1, ""),
                ("Message", "string", 0, ""), ("First Seen", "string", 1, ""), ("Count", "string", 1, ""),
                ("Name", "string", 1, "")], _event_row),
    "nodes": ([_NAME, ("Status", "string", 0, ""), ("Roles", "string", 0, ""), _AGE, ("Version", "string", 0, ""),
               ("Internal-IP", "string", 1, ""), ("External-IP", "string", 1, ""), ("OS-Image", "string", 1, ""),
               ("Kernel-Version", "string", 1, ""), ("Container-Runtime", "string", 1, "")], _node_row),
}

_DESCRIPTIONS = {"Name": "Name must be unique within a namespace. Is required when creating resources, although some "
                         "resources may allow a client to request the generation of an appropriate name automatically. "
                         "Name is primarily intended for creation idempotence and configuration definition. Cannot be "
                         "updated.",
                 "Age": "CreationTimestamp is a timestamp representing the server time when this object was created."}


def _partial(obj: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata") or {}}


def table(kind: Kind, items: list[dict[str, Any]], resource_version: str, now: _dt.datetime, *,
          include_object: str = "Metadata", headers: bool = True, cont: str = "") -> dict[str, Any]:
    columns, row = COLUMNS.get(kind.resource, ([_NAME, _AGE], _simple()))
    out: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                           "metadata": {"resourceVersion": resource_version}}
    if cont:
        out["metadata"]["continue"] = cont
    out["columnDefinitions"] = [{"name": n, "type": t, "format": f, "description": _DESCRIPTIONS.get(n, n),
                                 "priority": p} for n, t, p, f in columns] if headers else None
    rows = []
    for obj in items:
        r: dict[str, Any] = {"cells": row(obj, now)}
        if include_object == "Object":
            r["object"] = obj
        elif include_object != "None":
            r["object"] = _partial(obj)
        rows.append(r)
    out["rows"] = rows
    return out
