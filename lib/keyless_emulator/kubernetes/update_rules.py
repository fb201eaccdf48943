"""What an update of an existing object may not change, as kube-apiserver's validation says it:
a pod's spec beyond images, deadlines and added tolerations; a Deployment's or ReplicaSet's
selector; a Service's cluster IP (which, like node ports, is kept when an update leaves it out).
"""
from __future__ import annotations

from typing import Any

from . import errors, kinds
from .plain import clone


def _go_selector(selector: dict[str, Any] | None) -> str:
    """A LabelSelector as Go's %#v prints it in validation messages."""
    selector = selector or {}
    labels = ", ".join(f'"{k}":"{v}"' for k, v in sorted((selector.get("matchLabels") or {}).items()))
    exprs = selector.get("matchExpressions")
    exprs_text = "[]v1.LabelSelectorRequirement(nil)" if not exprs else "[]v1.LabelSelectorRequirement{" + ", ".join(
        f'v1.LabelSelectorRequirement{{Key:"{e.get("key")}", Operator:"{e.get("operator")}", Values:[]string{{'
        + ", ".join(f'"{v}"' for v in e.get("values") or []) + "}}" for e in exprs) + "}"
    return f"v1.LabelSelector{{MatchLabels:map[string]string{{{labels}}}, MatchExpressions:{exprs_text}}}"


def carry_immutable(resource: str, current: dict[str, Any], new: dict[str, Any]) -> None:
    """Fields an update may leave out and the server keeps (a service's cluster IPs and node ports)."""
    if resource == "services":
        spec, old = new.setdefault("spec", {}), current.get("spec") or {}
        for field in ("clusterIP", "clusterIPs"):
            if not spec.get(field) and old.get(field):
                spec[field] = old[field]
        old_ports = {p.get("port"): p.get("nodePort") for p in old.get("ports") or []}
        for p in spec.get("ports") or []:
            if not p.get("nodePort") and old_ports.get(p.get("port")) and spec.get("type") in ("NodePort",
                                                                                              "LoadBalancer"):
                p["nodePort"] = old_ports[p.get("port")]


def check_pod_update(current: dict[str, Any], new: dict[str, Any]) -> None:
    """kube-apiserver's pod update rule: only images, activeDeadlineSeconds, added tolerations,
    terminationGracePeriodSeconds (and binding an unscheduled pod to a node) may change."""
    old_spec, new_spec = current.get("spec") or {}, clone(new.get("spec") or {})
    for key in ("containers", "initContainers"):
        olds = {c.get("name"): c for c in old_spec.get(key) or []}
        for c in new_spec.get(key) or []:
            if c.get("name") in olds and "image" in olds[c["name"]]:
                c["image"] = olds[c["name"]]["image"]
    for key in ("activeDeadlineSeconds", "terminationGracePeriodSeconds"):
        if key in old_spec:
            new_spec[key] = old_spec[key]
        else:
            new_spec.pop(key, None)
    old_tolerations = old_spec.get("tolerations") or []
    if new_spec.get("tolerations", [])[:len(old_tolerations)] == old_tolerations:
        new_spec["tolerations"] = old_spec.get("tolerations")
        if new_spec["tolerations"] is None:
            new_spec.pop("tolerations")
    if not old_spec.get("nodeName") and new_spec.get("nodeName"):
        new_spec.pop("nodeName")
    if new_spec != old_spec:
        raise errors.invalid("Pod", current["metadata"]["name"], [errors.forbidden_field(
            "spec", "pod updates may not change fields other than `spec.containers[*].image`,"
            "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
            "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
            "previously negative)")])


def check_immutable(kind: kinds.Kind, current: dict[str, Any], new: dict[str, Any]) -> None:
    """422 Invalid when an update changes what may not change once set."""
    if kind.resource == "pods":
        check_pod_update(current, new)
    if kind.resource in ("deployments", "replicasets"):
        old_sel, new_sel = (current.get("spec") or {}).get("selector"), (new.get("spec") or {}).get("selector")
        if old_sel != new_sel:
            raise errors.invalid(kind.kind, new["metadata"]["name"], [errors.Cause(
                "spec.selector", "FieldValueInvalid", f"Invalid value: {_go_selector(new_sel)}: field is immutable")],
                kind.group)
    if kind.resource == "services":
        old_ip, new_ip = (current.get("spec") or {}).get("clusterIP"), (new.get("spec") or {}).get("clusterIP")
        if old_ip != new_ip:
            raise errors.invalid("Service", new["metadata"]["name"], [errors.invalid_value(
                "spec.clusterIPs[0]", new_ip, "may not change once set")])
