"""Validation of the served kinds, worded as kube-apiserver words it (422 Invalid causes).

Names: DNS-1123 subdomain for most kinds, DNS-1123 label for namespaces, DNS-1035 label for
services; required fields per kind (containers with name and image, a Deployment's selector
matching its template labels, service ports in range, ...).
"""
from __future__ import annotations

import re
from typing import Any

import resource_names

from . import errors
from .errors import Cause
from .kinds import Kind
from .selectors import match_label_selector

_LABEL = resource_names.DNS1123_LABEL
_SUBDOMAIN = resource_names.DNS1123_SUBDOMAIN
_DNS1035 = resource_names.DNS1035_LABEL
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")

SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
                 "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
                 "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
             "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
               "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
               "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")


def name_causes(kind: Kind, name: Any, field: str = "metadata.name") -> list[Cause]:
    if not name:
        return [errors.required(field, "name or generateName is required")]
    if not isinstance(name, str):
        return [errors.invalid_value(field, name, "must be a string")]
    if kind.resource == "namespaces":
        if len(name) > _LABEL.max_length:
            return [errors.invalid_value(field, name, "must be no more than 63 characters")]
        return [] if _LABEL.has_valid_shape(name) else [errors.invalid_value(field, name, LABEL_MSG)]
    if kind.group == "rbac.authorization.k8s.io":  # ValidatePathSegmentName: `system:discovery` is valid
        for bad in ("/", "%"):
            if bad in name:
                return [errors.invalid_value(field, name, f"may not contain '{bad}'")]
        return [errors.invalid_value(field, name, f"may not be '{name}'")] if name in (".", "..") else []
    if kind.resource == "services":
        if len(name) > _DNS1035.max_length:
            return [errors.invalid_value(field, name, "must be no more than 63 characters")]
        return [] if _DNS1035.has_valid_shape(name) else [errors.invalid_value(field, name, DNS1035_MSG)]
    if len(name) > _SUBDOMAIN.max_length:
        return [errors.invalid_value(field, name, "must be no more than 253 characters")]
    return [] if _SUBDOMAIN.has_valid_shape(name) else [errors.invalid_value(field, name, SUBDOMAIN_MSG)]


def _containers(spec: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    containers = spec.get("containers")
    if not containers:
        return [errors.required(f"{path}.containers")]
    seen: set[str] = set()
    for key in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(key) or []):
            p = f"{path}.{key}[{i}]"
            name = c.get("name")
            if not name:
                causes.append(errors.required(f"{p}.name"))
            elif not _LABEL.matches(name):
                causes.append(errors.invalid_value(f"{p}.name", name, LABEL_MSG))
            elif name in seen:
                causes.append(errors.duplicate(f"{p}.name", name))
            else:
                seen.add(name)
            if not c.get("image") and key == "containers":
                causes.append(errors.required(f"{p}.image"))
            for j, env in enumerate(c.get("env") or []):
                en = env.get("name")
                if not en:
                    causes.append(errors.required(f"{p}.env[{j}].name"))
                elif not _ENV_NAME.match(en):
                    causes.append(errors.invalid_value(
                        f"{p}.env[{j}].name", en, "a valid environment variable name must consist of alphabetic "
                        "characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  "
                        "or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is "
                        "'[-._a-zA-Z][-._a-zA-Z0-9]*')"))
            for j, port in enumerate(c.get("ports") or []):
                cp = port.get("containerPort")
                if cp is None:
                    causes.append(errors.required(f"{p}.ports[{j}].containerPort"))
                elif not (isinstance(cp, int) and 1 <= cp <= 65535):
                    causes.append(errors.invalid_value(f"{p}.ports[{j}].containerPort", cp,
                                                       "must be between 1 and 65535, inclusive"))
            mounts = {v.get("name") for v in spec.get("volumes") or []}
            for j, m in enumerate(c.get("volumeMounts") or []):
                if not m.get("mountPath"):
                    causes.append(errors.required(f"{p}.volumeMounts[{j}].mountPath"))
                if m.get("name") not in mounts:
                    causes.append(Cause(f"{p}.volumeMounts[{j}].name", "FieldValueNotFound",
                                        f'Not found: "{m.get("name")}"'))
    policy = spec.get("restartPolicy")
    if policy is not None and policy not in ("Always", "OnFailure", "Never"):
        causes.append(errors.not_supported(f"{path}.restartPolicy", policy, ["Always", "OnFailure", "Never"]))
    return causes


def _deployment_like(obj: dict[str, Any], kind_name: str) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and replicas < 0:
        causes.append(errors.invalid_value("spec.replicas", replicas, "must be greater than or equal to 0"))
    selector = spec.get("selector")
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if not selector:
        causes.append(errors.required("spec.selector"))
    elif not (selector.get("matchLabels") or selector.get("matchExpressions")):
        causes.append(errors.invalid_value("spec.selector", "", "empty selector is invalid for deployment"
                                           if kind_name == "Deployment" else "empty selector is invalid"))
    elif not match_label_selector(selector, labels):
        causes.append(errors.invalid_value("spec.template.metadata.labels", labels,
                                           "`selector` does not match template `labels`"))
    causes.extend(_containers(template.get("spec") or {}, "spec.template.spec"))
    tpl_policy = (template.get("spec") or {}).get("restartPolicy")
    if tpl_policy not in (None, "Always"):
        causes.append(errors.not_supported("spec.template.spec.restartPolicy", tpl_policy, ["Always"]))
    if kind_name == "Deployment":
        strategy = (spec.get("strategy") or {}).get("type")
        if strategy not in (None, "RollingUpdate", "Recreate"):
            causes.append(errors.not_supported("spec.strategy.type", strategy, ["Recreate", "RollingUpdate"]))
    return causes


def _service(obj: dict[str, Any]) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    stype = spec.get("type", "ClusterIP")
    if stype not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        causes.append(errors.not_supported("spec.type", stype,
                                           ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]))
    ports = spec.get("ports") or []
    if not ports and stype != "ExternalName" and spec.get("clusterIP") != "None":
        causes.append(errors.required("spec.ports"))
    names: set[str] = set()
    for i, p in enumerate(ports):
        port = p.get("port")
        if port is None:
            causes.append(errors.required(f"spec.ports[{i}].port"))
        elif not (isinstance(port, int) and 1 <= port <= 65535):
            causes.append(errors.invalid_value(f"spec.ports[{i}].port", port, "must be between 1 and 65535, inclusive"))
        if len(ports) > 1 and not p.get("name"):
            causes.append(errors.required(f"spec.ports[{i}].name"))
        if p.get("name"):
            if p["name"] in names:
                causes.append(errors.duplicate(f"spec.ports[{i}].name", p["name"]))
            names.add(p["name"])
        proto = p.get("protocol", "TCP")
        if proto not in ("TCP", "UDP", "SCTP"):
            causes.append(errors.not_supported(f"spec.ports[{i}].protocol", proto, ["SCTP", "TCP", "UDP"]))
    return causes


def _data_keys(obj: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    for field in ("data", "binaryData", "stringData"):
        for key in (obj.get(field) or {}):
            if not _CONFIG_KEY.match(key):
                causes.append(errors.invalid_value(f"{field}[{key}]", key, "a valid config key must consist of "
                                                   "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
                                                   "'KEY_NAME',  or 'key-name', regex used for validation is "
                                                   "'[-._a-zA-Z0-9]+')"))
    return causes


_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
NAME_PART_MSG = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                 "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                 "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")


def _qualified_name(field: str, key: str) -> list[Cause]:
    """A label or annotation key: [DNS-1123 subdomain prefix/]name (63 characters at most)."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or not _SUBDOMAIN.matches(prefix)):
        return [errors.invalid_value(field, key, "prefix part " + SUBDOMAIN_MSG)]
    if not name or len(name) > 63 or not _NAME_PART.match(name):
        detail = "name part must be no more than 63 characters" if len(name) > 63 else NAME_PART_MSG
        return [errors.invalid_value(field, key, detail)]
    return []


def _labels(meta: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    for key in (meta.get("labels") or {}):
        causes += _qualified_name("metadata.labels", key)
    for key in (meta.get("annotations") or {}):
        causes += _qualified_name("metadata.annotations", key.lower())
    for value in (meta.get("labels") or {}).values():
        if (not isinstance(value, str) or len(value) > 63
                or not re.match(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", value)):
            causes.append(errors.invalid_value("metadata.labels", value, "a valid label must be an empty string or "
                                               "consist of alphanumeric characters, '-', '_' or '.', and must start "
                                               "and end with an alphanumeric character (e.g. 'MyValue',  or "
                                               "'my_value',  or '12345', regex used for validation is "
                                               "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"))
    return causes


def validate(kind: Kind, obj: dict[str, Any]) -> None:
    """Raise 422 Invalid with every cause found."""
    meta = obj.get("metadata") or {}
    causes = name_causes(kind, meta.get("name"))
    causes += _labels(meta)
    if kind.resource == "pods":
        causes += _containers(obj.get("spec") or {}, "spec")
    elif kind.resource in ("deployments", "replicasets"):
        causes += _deployment_like(obj, kind.kind)
    elif kind.resource == "services":
        causes += _service(obj)
    elif kind.resource in ("configmaps", "secrets"):
        causes += _data_keys(obj)
    if causes:
        raise errors.invalid(kind.kind, str(meta.get("name") or meta.get("generateName") or ""), causes, kind.group)
