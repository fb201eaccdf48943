"""The four patch formats of the Kubernetes API, as pure functions over object dicts.

- JSON merge patch (RFC 7386, `application/merge-patch+json`): maps merge, null deletes, lists replace.
- JSON patch (RFC 6902, `application/json-patch+json`): add/remove/replace/move/copy/test.
- Strategic merge patch (`application/strategic-merge-patch+json`): lists of objects merge by
  their merge key (containers by name, env by name, container ports by containerPort, service
  ports by port, volumeMounts by mountPath, ...); directives `$patch: replace|delete|merge`,
  `$setElementOrder/<list>`, `$retainKeys`, `$deleteFromPrimitiveList/<list>`. Directives are
  consumed, never stored.
- Server-side apply (`application/apply-patch+yaml`) is handled by the caller as create-or-merge
  with the strategic rules.
"""
from __future__ import annotations

import copy
from typing import Any

# (field name, parent context) -> merge key. The context distinguishes Service ports from
# container ports; "*" applies anywhere.
_MERGE_KEYS: dict[tuple[str, str], str] = {
    ("containers", "*"): "name", ("initContainers", "*"): "name", ("ephemeralContainers", "*"): "name",
    ("env", "*"): "name", ("volumes", "*"): "name", ("volumeMounts", "*"): "mountPath",
    ("volumeDevices", "*"): "devicePath", ("imagePullSecrets", "*"): "name", ("hostAliases", "*"): "ip",
    ("ownerReferences", "*"): "uid", ("conditions", "*"): "type", ("resourceClaims", "*"): "name",
    ("topologySpreadConstraints", "*"): "topologyKey", ("secrets", "serviceaccount"): "name",
    ("ports", "container"): "containerPort", ("ports", "service"): "port",
}
_MERGE_PRIMITIVES = {"finalizers"}
_CONTAINER_LISTS = {"containers", "initContainers", "ephemeralContainers"}


class PatchError(ValueError):
    """A patch that cannot be applied (rendered as 422 by the caller)."""


# -- JSON merge patch ----------------------------------------------------------------------
def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


# -- JSON patch ----------------------------------------------------------------------------
def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f'invalid JSON pointer "{path}": must start with "/"')
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str], path: str) -> Any:
    cur = doc
    for part in parts:
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            raise PatchError(f"doc is missing path: \"{path}\": missing value")
    return cur


def _add(doc: Any, parts: list[str], value: Any, path: str) -> Any:
    if not parts:
        return value
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise PatchError(f'unable to add: index out of bounds: "{path}"')
    else:
        raise PatchError(f"doc is missing path: \"{path}\": missing value")
    return doc


def _remove(doc: Any, parts: list[str], path: str) -> Any:
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise PatchError(f"doc is missing path: \"{path}\": missing value")


def json_patch(target: Any, ops: Any) -> Any:
    if not isinstance(ops, list):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op:
            raise PatchError('Unexpected kind: missing "op"')
        kind, path = op["op"], op.get("path", "")
        parts = _pointer(path)
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f'missing value for operation "{kind}" at "{path}"')
        if kind == "add":
            doc = _add(doc, parts, copy.deepcopy(op["value"]), path)
        elif kind == "remove":
            _remove(doc, parts, path)
        elif kind == "replace":
            _walk(doc, parts, path)
            if not parts:
                doc = copy.deepcopy(op["value"])
            else:
                _remove(doc, parts, path)
                doc = _add(doc, parts, copy.deepcopy(op["value"]), path)
        elif kind in ("move", "copy"):
            src = op.get("from", "")
            value = copy.deepcopy(_walk(doc, _pointer(src), src))
            if kind == "move":
                _remove(doc, _pointer(src), src)
            doc = _add(doc, parts, value, path)
        elif kind == "test":
            if _walk(doc, parts, path) != op["value"]:
                raise PatchError(f'testing value {path} failed: test failed')
        else:
            raise PatchError(f'Unexpected kind: {kind}')
    return doc


# -- strategic merge patch ----------------------------------------------------------------
def _merge_key(field: str, context: str) -> str | None:
    return _MERGE_KEYS.get((field, context)) or _MERGE_KEYS.get((field, "*"))


def strip_directives(value: Any) -> Any:
    """A copy without any `$...` directive key (and without `$patch: delete` list items)."""
    if isinstance(value, dict):
        return {k: strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [strip_directives(v) for v in value if not (isinstance(v, dict) and v.get("$patch") == "delete")]
    return copy.deepcopy(value)


def _order(items: list[Any], order: list[Any], key: str | None) -> list[Any]:
    def ident(item: Any) -> Any:
        return item.get(key) if key and isinstance(item, dict) else item

    wanted = [ident(o) for o in order]
    ranked = [i for w in wanted for i in items if ident(i) == w]
    rest = [i for i in items if ident(i) not in wanted]
    return ranked + rest


def _merge_list(orig: list[Any], patch: list[Any], field: str, context: str) -> list[Any]:
    key = _merge_key(field, context)
    if field in _MERGE_PRIMITIVES:
        return list(orig) + [v for v in patch if v not in orig]
    if key is None:
        return strip_directives(patch)
    if any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch):
        return strip_directives([p for p in patch if not (isinstance(p, dict) and p.get("$patch") == "replace")])
    out = copy.deepcopy(orig)
    child = "container" if field in _CONTAINER_LISTS else context
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError(f"the list {field} merges by {key} but an item is not an object: {item!r}")
        ident = item.get(key)
        index = next((i for i, o in enumerate(out) if isinstance(o, dict) and o.get(key) == ident), None)
        if item.get("$patch") == "delete":
            if index is not None:
                out.pop(index)
            continue
        if index is None:
            out.append(strip_directives(item))
        else:
            out[index] = strategic_merge(out[index], item, child)
    return out


def strategic_merge(original: Any, patch: Any, context: str = "") -> Any:
    """Apply a strategic merge patch. `context` is "service" for Service objects (port merge key)."""
    if not isinstance(patch, dict) or not isinstance(original, dict):
        return strip_directives(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return strip_directives(patch)
    if directive == "delete":
        return None
    out = copy.deepcopy(original)
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    for key, value in patch.items():
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            if isinstance(out.get(name), list):
                out[name] = [v for v in out[name] if v not in (value or [])]
            continue
        if key.startswith("$"):
            continue
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            merged = strategic_merge(out[key], value, context)
            if merged is None:
                out.pop(key, None)
            else:
                out[key] = merged
        elif isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = _merge_list(out[key], value, key, context)
        elif isinstance(value, dict) and value.get("$patch") == "delete":
            out.pop(key, None)
        else:
            out[key] = strip_directives(value)
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") and isinstance(value, list):
            name = key.split("/", 1)[1]
            if isinstance(out.get(name), list):
                out[name] = _order(out[name], value, _merge_key(name, context))
    return out
