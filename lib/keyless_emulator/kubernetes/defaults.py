"""Defaulting, as kube-apiserver applies it before validation (the fields `kubectl get -o yaml`
shows although nobody set them): pod spec and container defaults, Deployment strategy, Service
type/ports/cluster IP, Secret stringData folding, Namespace finalizers and phase.
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Iterable
from typing import Any

SERVICE_CIDR = ipaddress.ip_network("10.0.0.0/16")
KUBERNETES_SERVICE_IP = "10.0.0.1"
DNS_SERVICE_IP = "10.0.0.10"
NODE_PORT_RANGE = (30000, 32767)
NOT_READY_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
]


def _image_pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    tag = last.split(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def container(c: dict[str, Any]) -> None:
    c.setdefault("resources", {})
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    if c.get("image"):
        c.setdefault("imagePullPolicy", _image_pull_policy(c["image"]))
    for port in c.get("ports") or []:
        port.setdefault("protocol", "TCP")
    for env in c.get("env") or []:
        if isinstance(env.get("valueFrom"), dict) and "fieldRef" in env["valueFrom"]:
            env["valueFrom"]["fieldRef"].setdefault("apiVersion", "v1")


def pod_spec(spec: dict[str, Any], *, template: bool = False) -> None:
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            container(c)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    if spec.get("serviceAccountName"):
        spec.setdefault("serviceAccount", spec["serviceAccountName"])
    if not template:
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        spec.setdefault("priority", 0)
    for v in spec.get("volumes") or []:
        for source, default_mode in (("configMap", 420), ("secret", 420), ("projected", 420)):
            if isinstance(v.get(source), dict):
                v[source].setdefault("defaultMode", default_mode)


def qos_class(spec: dict[str, Any]) -> str:
    containers = list(spec.get("containers") or [])
    requests = [((c.get("resources") or {}).get("requests") or {}) for c in containers]
    limits = [((c.get("resources") or {}).get("limits") or {}) for c in containers]
    if not any(requests) and not any(limits):
        return "BestEffort"
    guaranteed = all(
        lim.get("cpu") and lim.get("memory") and (not req or (req.get("cpu", lim["cpu"]) == lim["cpu"]
                                                              and req.get("memory", lim["memory"]) == lim["memory"]))
        for req, lim in zip(requests, limits, strict=False))
    return "Guaranteed" if guaranteed else "Burstable"


def _max_from_percent(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%"):
        pct = int(value[:-1])
        q, r = divmod(total * pct, 100)
        return q + (1 if round_up and r else 0)
    return int(value)


def surge_and_unavailable(deployment: dict[str, Any]) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) resolved against spec.replicas (surge rounds up, unavailable down)."""
    spec = deployment.get("spec") or {}
    replicas = int(spec.get("replicas", 1))
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0, replicas
    ru = strategy.get("rollingUpdate") or {}
    surge = _max_from_percent(ru.get("maxSurge", "25%"), replicas, True)
    unavailable = _max_from_percent(ru.get("maxUnavailable", "25%"), replicas, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def deployment(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        ru = strategy.setdefault("rollingUpdate", {})
        ru.setdefault("maxUnavailable", "25%")
        ru.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    template = spec.setdefault("template", {})
    template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    pod_spec(template.setdefault("spec", {}), template=True)


def replicaset(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    template = spec.setdefault("template", {})
    template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    pod_spec(template.setdefault("spec", {}), template=True)


def _free_ip(used: set[str]) -> str:
    for host in SERVICE_CIDR.hosts():
        ip = str(host)
        if ip not in used and ip not in (KUBERNETES_SERVICE_IP, DNS_SERVICE_IP):
            return ip
    raise RuntimeError("the service CIDR 10.0.0.0/16 is full")


def _node_port(seed: str, used: set[int]) -> int:
    low, high = NODE_PORT_RANGE
    start = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % (high - low + 1)
    for i in range(high - low + 1):
        port = low + (start + i) % (high - low + 1)
        if port not in used:
            return port
    raise RuntimeError("no free node port")


def service(obj: dict[str, Any], existing: Iterable[dict[str, Any]]) -> None:
    spec = obj.setdefault("spec", {})
    stype = spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    others = list(existing)
    if stype != "ExternalName":
        if not spec.get("clusterIP"):
            used = {s.get("spec", {}).get("clusterIP") for s in others}
            spec["clusterIP"] = _free_ip({u for u in used if u})
        spec.setdefault("clusterIPs", [spec["clusterIP"]] if spec["clusterIP"] != "None" else ["None"])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    used_ports = {p.get("nodePort") for s in others for p in (s.get("spec") or {}).get("ports") or []}
    meta = obj.get("metadata") or {}
    for p in spec.get("ports") or []:
        p.setdefault("protocol", "TCP")
        p.setdefault("targetPort", p.get("port"))
        if stype in ("NodePort", "LoadBalancer") and not p.get("nodePort"):
            p["nodePort"] = _node_port(f"{meta.get('namespace')}/{meta.get('name')}/{p.get('port')}", used_ports)
            used_ports.add(p["nodePort"])
    if stype in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    else:  # wiped when the type no longer needs them
        for p in spec.get("ports") or []:
            p.pop("nodePort", None)
        spec.pop("externalTrafficPolicy", None)
        spec.pop("healthCheckNodePort", None)
    if stype == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    else:
        spec.pop("allocateLoadBalancerNodePorts", None)
    obj.setdefault("status", {}).setdefault("loadBalancer", {})


def secret(obj: dict[str, Any]) -> None:
    obj.setdefault("type", "Opaque")
    string_data = obj.pop("stringData", None) or {}
    if string_data:
        data = obj.setdefault("data", {})
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()


def namespace(obj: dict[str, Any]) -> None:
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    obj.setdefault("status", {}).setdefault("phase", "Active")
    name = (obj.get("metadata") or {}).get("name")
    if name:
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name


def apply(resource: str, obj: dict[str, Any], existing: Iterable[dict[str, Any]] = ()) -> None:
    if resource == "pods":
        pod_spec(obj.setdefault("spec", {}))
    elif resource == "deployments":
        deployment(obj)
    elif resource == "replicasets":
        replicaset(obj)
    elif resource == "services":
        service(obj, existing)
    elif resource == "secrets":
        secret(obj)
    elif resource == "namespaces":
        namespace(obj)
