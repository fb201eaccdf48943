"""Label selectors (=, ==, !=, in, notin, exists, !exists) and field selectors (=, ==, !=).

`parse_labels(text)` / `parse_fields(resource, text)` return a predicate over an object dict,
or raise a 400 BadRequest naming what could not be parsed. `match_label_selector` evaluates the
structured `LabelSelector` of a Deployment or ReplicaSet (matchLabels + matchExpressions).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import errors

Predicate = Callable[[dict[str, Any]], bool]
_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                  r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def _check_key(key: str, text: str) -> str:
    if not _KEY.match(key) or len(key.split("/")[-1]) > 63:
        raise errors.bad_request(f'unable to parse requirement: <nil>: Invalid value: "{key}": name part must consist '
                                 "of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                                 "alphanumeric character")
    return key


def _check_value(value: str) -> str:
    if not _VALUE.match(value) or len(value) > 63:
        raise errors.bad_request(f'unable to parse requirement: values[0][{value}]: Invalid value: "{value}": a valid '
                                 "label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                                 "'.', "
                                 "and must start and end with an alphanumeric character")
    return value


def _requirement(text: str) -> Callable[[dict[str, str]], bool]:
    m = re.match(r"^(\S+)\s+(in|notin)\s*\((.*)\)$", text)
    if m:
        key, op = _check_key(m.group(1), text), m.group(2)
        values = {_check_value(v.strip()) for v in m.group(3).split(",")}
        if op == "in":
            return lambda labels: key in labels and labels[key] in values
        return lambda labels: key not in labels or labels[key] not in values
    for op in ("!=", "==", "="):
        if op in text:
            key, value = (s.strip() for s in text.split(op, 1))
            _check_key(key, text)
            _check_value(value)
            if op == "!=":
                return lambda labels: labels.get(key) != value
            return lambda labels: key in labels and labels[key] == value
    if text.startswith("!"):
        key = _check_key(text[1:].strip(), text)
        return lambda labels: key not in labels
    key = _check_key(text, text)
    return lambda labels: key in labels


def labels_of(obj: dict[str, Any]) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def parse_labels(text: str | None) -> Predicate:
    if not text or not text.strip():
        return lambda obj: True
    reqs = [_requirement(part) for part in _split_top(text)]
    return lambda obj: all(r(labels_of(obj)) for r in reqs)


def _get(obj: dict[str, Any], dotted: str) -> str:
    cur: Any = obj
    for part in dotted.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


_COMMON = ("metadata.name", "metadata.namespace")
FIELDS: dict[str, tuple[str, ...]] = {
    "pods": ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
             "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"),
    "events": ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
               "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
               "reportingComponent", "source", "type"),
    "secrets": ("type",),
    "namespaces": ("status.phase",),
    "nodes": ("spec.unschedulable",),
    "replicasets": ("status.replicas",),
}


def _field_value(obj: dict[str, Any], label: str) -> str:
    if label == "source":
        return _get(obj, "source.component") or _get(obj, "reportingComponent")
    if label == "spec.hostNetwork":
        return _get(obj, label) or "false"
    return _get(obj, label)


def parse_fields(resource: str, text: str | None) -> Predicate:
    if not text or not text.strip():
        return lambda obj: True
    checks: list[Callable[[dict[str, Any]], bool]] = []
    allowed = _COMMON + FIELDS.get(resource, ())
    for part in _split_top(text):
        for op in ("!=", "==", "="):
            if op in part:
                label, value = (s.strip() for s in part.split(op, 1))
                break
        else:
            raise errors.bad_request(f'invalid selector: \'{text}\'; can\'t understand \'{part}\'')
        if label not in allowed:
            raise errors.bad_request(f"field label not supported: {label}")
        if op == "!=":
            checks.append(lambda obj, f=label, v=value: _field_value(obj, f) != v)
        else:
            checks.append(lambda obj, f=label, v=value: _field_value(obj, f) == v)
    return lambda obj: all(c(obj) for c in checks)


def match_label_selector(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A LabelSelector object; an empty selector matches everything, None matches nothing."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), set(expr.get("values") or [])
        if op == "In" and not (key in labels and labels[key] in values):
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def selector_string(selector: dict[str, Any] | None) -> str:
    """A LabelSelector rendered as kubectl shows it (`app=x,tier in (a,b)`)."""
    if not selector:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, key, values = expr.get("operator"), expr.get("key"), sorted(expr.get("values") or [])
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)
