"""A container's environment, resolved as the kubelet does before it starts the container.

Order: `envFrom` sources (ConfigMap/Secret, with `prefix`), then `env` entries (literal values
with `$(VAR)` expansion, or `valueFrom` secretKeyRef / configMapKeyRef / fieldRef /
resourceFieldRef). A missing, non-optional reference is a `CreateContainerConfigError` with the
kubelet's message (e.g. `secret "openai" not found`).
"""
from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

Lookup = Callable[[str, str], dict[str, Any] | None]  # (namespace, name) -> object or None

_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)|\$\$")


class ContainerConfigError(Exception):
    """The container cannot start: waiting reason CreateContainerConfigError with this message."""


def expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion: known names are replaced, `$$` escapes, unknown refs stay."""
    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))
    return _REF.sub(sub, value)


def _secret_data(secret: dict[str, Any]) -> dict[str, str]:
    out = {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in (secret.get("data") or {}).items()}
    out.update(secret.get("stringData") or {})
    return out


def _configmap_data(cm: dict[str, Any]) -> dict[str, str]:
    return dict(cm.get("data") or {})


def _field(pod: dict[str, Any], path: str) -> str:
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    m = re.match(r"^metadata\.(labels|annotations)\['(.+)'\]$", path)
    if m:
        return (meta.get(m.group(1)) or {}).get(m.group(2), "")
    simple = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
              "metadata.uid": meta.get("uid"), "spec.nodeName": spec.get("nodeName"),
              "spec.serviceAccountName": spec.get("serviceAccountName") or "default",
              "status.hostIP": status.get("hostIP"), "status.podIP": status.get("podIP")}
    if path not in simple:
        raise ContainerConfigError(f'unsupported fieldRef fieldPath "{path}"')
    return str(simple[path] or "")


def resolve_env(pod: dict[str, Any], container: dict[str, Any], secrets: Lookup, configmaps: Lookup) -> dict[str, str]:
    namespace = (pod.get("metadata") or {}).get("namespace") or "default"
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix") or ""
        if "configMapRef" in source:
            data = _referenced(configmaps, namespace, source["configMapRef"], "configmap", _configmap_data)
        elif "secretRef" in source:
            data = _referenced(secrets, namespace, source["secretRef"], "secret", _secret_data)
        else:
            continue
        if data is None:
            continue
        for key, value in data.items():
            env[prefix + key] = value
    for entry in container.get("env") or []:
        name = entry.get("name", "")
        if "valueFrom" not in entry:
            env[name] = expand(str(entry.get("value", "")), env)
            continue
        source = entry["valueFrom"] or {}
        if "secretKeyRef" in source:
            value = _keyed(secrets, namespace, source["secretKeyRef"], "secret", _secret_data)
        elif "configMapKeyRef" in source:
            value = _keyed(configmaps, namespace, source["configMapKeyRef"], "configmap", _configmap_data)
        elif "fieldRef" in source:
            value = _field(pod, source["fieldRef"].get("fieldPath", ""))
        elif "resourceFieldRef" in source:
            value = _resource(container, source["resourceFieldRef"])
        else:
            value = None
        if value is not None:
            env[name] = value
    return env


def _referenced(lookup: Lookup, namespace: str, ref: dict[str, Any], what: str,
                data_of: Callable[[dict[str, Any]], dict[str, str]]) -> dict[str, str] | None:
    """The data of the Secret or ConfigMap a reference names; None if it is missing but optional."""
    obj = lookup(namespace, ref.get("name", ""))
    if obj is None:
        if ref.get("optional"):
            return None
        raise ContainerConfigError(f'{what} "{ref.get("name", "")}" not found')
    return data_of(obj)


def _keyed(lookup: Lookup, namespace: str, ref: dict[str, Any], what: str,
           data_of: Callable[[dict[str, Any]], dict[str, str]]) -> str | None:
    data = _referenced(lookup, namespace, ref, what, data_of)
    if data is None:
        return None
    name, key = ref.get("name", ""), ref.get("key", "")
    if key not in data:
        if ref.get("optional"):
            return None
        raise ContainerConfigError(f"couldn't find key {key} in {'Secret' if what == 'secret' else 'ConfigMap'} "
                                   f"{namespace}/{name}")
    return data[key]


_UNITS = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def _resource(container: dict[str, Any], ref: dict[str, Any]) -> str:
    resource = ref.get("resource", "")
    section, _, name = resource.partition(".")
    value = str(((container.get("resources") or {}).get(section) or {}).get(name, ""))
    if not value:
        return "0"
    if name == "cpu":
        cores = float(value[:-1]) / 1000 if value.endswith("m") else float(value)
        divisor = ref.get("divisor", "1")
        div = float(divisor[:-1]) / 1000 if str(divisor).endswith("m") else float(divisor or 1)
        return str(max(1, int(-(-cores // div))))
    m = re.match(r"^([0-9.]+)([A-Za-z]*)$", value)
    amount = float(m.group(1)) * _UNITS.get(m.group(2), 1) if m else 0
    return str(int(amount))
