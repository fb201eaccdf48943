"""FieldsV1: the set of an object's fields, in the trie encoding managedFields carries.

A field set is a dict {path: fingerprint}, a path being a tuple of path elements as FieldsV1
spells them: `f:<field>` for a struct field or map key, `k:{"name":"x"}` for a list item keyed
by its merge keys (compact JSON, keys sorted), `v:<json>` for an item of a set list
(`metadata.finalizers`). The fingerprint is the leaf's value (JSON) or NODE for a member that has
children (encoded as `.`), so comparing two sets tells which fields a write added, changed or
removed (what kube-apiserver's structured-merge-diff compares).

kube-apiserver knows each type's schema; this module knows the handful of rules that shape the
sets of the objects this API server serves:
  - a struct Go always serializes (spec, template, metadata, strategy, resources, status) is no
    member itself, only a prefix of its fields; every other map or struct field is a member
    (`.`) when it has children, since it can be absent;
  - list items of an associative list (containers by name, container ports by containerPort and
    protocol, Service ports by port and protocol, env by name, ...) are members; `containers`
    itself is not (Go always serializes it); owner references and other object references are
    atomic items (one leaf each); other lists, label selectors, node selectors and env value
    references are atomic: one leaf, whatever they hold;
  - an empty map or list is a leaf (kube-apiserver keeps the empty/null distinction so).
`members(obj, applied=True)` gives the set of an apply configuration (ToFieldSet): maps and
structs are then no members, list items still are, as kube-apiserver records Apply entries.
"""
from __future__ import annotations

import json
from typing import Any

Path = tuple[str, ...]
FieldSet = dict[Path, str]
NODE = "."

# Fields whose Go type is a non-pointer struct (or a list without omitempty): always present.
_ALWAYS_PRESENT = {"spec", "template", "metadata", "strategy", "resources", "status", "updateStrategy",
                   "containers", "loadBalancer", "nodeInfo", "daemonEndpoints"}
# Map-typed or struct-typed fields the schema marks atomic.
_ATOMIC = {"selector", "nodeSelector", "labelSelector", "namespaceSelector", "fieldRef", "resourceFieldRef",
           "secretKeyRef", "configMapKeyRef"}
# Keyed lists whose items are atomic structs (OwnerReference, LocalObjectReference, ObjectReference).
_ATOMIC_ITEMS = {"ownerReferences", "imagePullSecrets", "secrets"}
_SET_LISTS = {"finalizers"}
# (list field, context) -> key fields; context "container" inside a container, "service" in a Service.
_LIST_KEYS: dict[tuple[str, str], tuple[str, ...]] = {
    ("containers", "*"): ("name",), ("initContainers", "*"): ("name",), ("ephemeralContainers", "*"): ("name",),
    ("env", "*"): ("name",), ("volumes", "*"): ("name",), ("volumeMounts", "*"): ("mountPath",),
    ("volumeDevices", "*"): ("devicePath",), ("imagePullSecrets", "*"): ("name",), ("hostAliases", "*"): ("ip",),
    ("ownerReferences", "*"): ("uid",), ("conditions", "*"): ("type",), ("resourceClaims", "*"): ("name",),
    ("topologySpreadConstraints", "*"): ("topologyKey", "whenUnsatisfiable"), ("podIPs", "*"): ("ip",),
    ("hostIPs", "*"): ("ip",), ("secrets", "*"): ("name",),
    ("ports", "container"): ("containerPort", "protocol"), ("ports", "service"): ("port", "protocol"),
}
_KEY_DEFAULTS = {"protocol": "TCP"}
_CONTAINER_LISTS = {"containers", "initContainers", "ephemeralContainers"}


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _keys(field: str, context: str) -> tuple[str, ...] | None:
    return _LIST_KEYS.get((field, context)) or _LIST_KEYS.get((field, "*"))


def _item_key(item: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    values = {k: item.get(k, _KEY_DEFAULTS.get(k)) for k in keys}
    if any(v is None for v in values.values()):
        return None
    return "k:" + _json(values)


def _walk(value: Any, path: Path, field: str, context: str, out: FieldSet, applied: bool) -> None:
    if isinstance(value, dict) and value and field not in _ATOMIC:
        if path and not applied and field not in _ALWAYS_PRESENT:
            out[path] = NODE
        for name, child in value.items():
            _walk(child, (*path, f"f:{name}"), name, context, out, applied)
        return
    if isinstance(value, list) and value:
        keys = _keys(field, context)
        if field in _SET_LISTS and not any(isinstance(v, (dict, list)) for v in value):
            if not applied:
                out[path] = NODE
            for item in value:
                out[(*path, "v:" + _json(item))] = NODE
            return
        item_keys = [_item_key(i, keys) if keys and isinstance(i, dict) else None for i in value]
        if keys and all(item_keys) and len(set(item_keys)) == len(item_keys):
            if not applied and field not in _ALWAYS_PRESENT:
                out[path] = NODE
            child = "container" if field in _CONTAINER_LISTS else context
            for item, key in zip(value, item_keys, strict=True):
                item_path = (*path, str(key))
                if field in _ATOMIC_ITEMS:
                    out[item_path] = _json(item)
                    continue
                out[item_path] = NODE
                for name, sub in item.items():
                    _walk(sub, (*item_path, f"f:{name}"), name, child, out, applied)
            return
    out[path] = _json(value)


def members(obj: dict[str, Any], context: str = "", *, applied: bool = False) -> FieldSet:
    """The field set of `obj` (already reduced to the tracked fields, see `managed.tracked`)."""
    out: FieldSet = {}
    for name, value in obj.items():
        _walk(value, (f"f:{name}",), name, context, out, applied)
    return out


def encode(paths: set[Path] | dict[Path, Any]) -> dict[str, Any]:
    """The FieldsV1 trie of a set of paths: a member with children carries `.`, a leaf is {}."""
    root: dict[str, Any] = {}
    for path in sorted(paths):
        node = root
        for element in path:
            node = node.setdefault(element, {})
        node["."] = {}
    return _finish(root)


def _finish(node: dict[str, Any]) -> dict[str, Any]:
    children = {k: _finish(v) for k, v in sorted(node.items()) if k != "."}
    if "." in node and children:
        return {".": {}, **children}
    return children


def decode(trie: dict[str, Any] | None) -> set[Path]:
    """The paths a FieldsV1 trie holds (inverse of `encode`)."""
    out: set[Path] = set()

    def walk(node: dict[str, Any], path: Path) -> None:
        if path and (not node or "." in node):
            out.add(path)
        for key, child in node.items():
            if key != "." and isinstance(child, dict):
                walk(child, (*path, key))
    walk(trie or {}, ())
    return out
