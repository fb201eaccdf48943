"""metadata.managedFields: who set which field, kept on every write as kube-apiserver keeps it.

Each create, update and patch records an entry for its manager: the request's `fieldManager`,
or the program name of its User-Agent (`OpenAPI-Generator` for the python client), as
kube-apiserver defaults it; the controllers and the kubelet write under their own names. An
entry is {manager, operation, apiVersion, time, fieldsType: FieldsV1, fieldsV1, subresource?}
with the field set of `fields.py`:
  - Update (create, update, every patch but apply): the fields the write added or changed join
    the writer's entry (one entry per manager, operation, apiVersion and subresource) and leave
    every other entry; removed fields leave every entry;
  - Apply (server-side apply): the writer's entry becomes exactly the applied configuration's
    fields; those whose value it changed leave the other entries.
An apply by `kubectl` to an object carrying client-side apply's last-applied-configuration
annotation also rewrites the annotation to the applied configuration (`sync_last_applied`), as
kube-apiserver does so a later client-side `kubectl apply` diffs against what was applied last.
An entry whose set becomes empty is dropped; entries are ordered as kube-apiserver orders them
(Apply first, then by time, manager, apiVersion, subresource). Status writes (the status
subresource) track only `status`; writes of the main resource do not track `status`, the
uid, name, resourceVersion and the rest kube-apiserver strips.

Clients cannot write managedFields, except to clear them: a write whose object carries
`managedFields: [{}]` starts from no entries (only its own changes are then recorded); any other
value is ignored and the stored entries carried over (kube-apiserver would take a valid list, so
`kubectl apply --server-side` moving kubectl-client-side-apply's entry to its own Apply entry
has no effect here: the applied fields whose value changes move, the others stay shared).
Not modelled: apply conflicts (every apply acts as `force=true`), the removal of fields an
applier stops applying, the cap of ten Update entries, and entries for Events and bindings.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import fields
from .plain import clone

# metadata fields kube-apiserver never tracks
STRIPPED_META = ("name", "namespace", "creationTimestamp", "selfLink", "uid", "generation", "managedFields",
                 "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds")
UPDATE, APPLY = "Update", "Apply"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SYNCS_LAST_APPLIED = "kubectl"  # the one manager whose applies kube-apiserver mirrors into the annotation


@dataclass(frozen=True)
class Write:
    """Who writes, how, and when."""

    manager: str
    api_version: str
    time: str
    operation: str = UPDATE
    subresource: str = ""


def manager_from_user_agent(user_agent: str | None) -> str:
    """kube-apiserver's default manager: the User-Agent up to its first `/`."""
    name = (user_agent or "").split("/", 1)[0].strip()
    return name or "unknown"


def is_reset(value: Any) -> bool:
    """`managedFields: [{}]`, the one way a client may clear the entries."""
    return value == [{}]


def tracked(obj: dict[str, Any] | None, *, has_status: bool, subresource: str = "") -> dict[str, Any]:
    """The part of `obj` whose fields are tracked for a write of the resource or its status."""
    if obj is None:
        return {}
    if subresource == "status":
        return {"status": obj["status"]} if "status" in obj else {}
    out = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")
           and not (has_status and k == "status")}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in STRIPPED_META}
    if meta:
        out["metadata"] = meta
    return out


def sync_last_applied(live: dict[str, Any], new: dict[str, Any], applied: dict[str, Any], manager: str) -> None:
    """Set new's last-applied annotation to `applied` if `kubectl` applies over client-side apply.

    The value is the configuration as Go's JSON encoder writes it (sorted keys, compact, `<>&`
    escaped, trailing newline), without the annotation (and without an emptied annotations map)."""
    if manager != SYNCS_LAST_APPLIED or LAST_APPLIED not in ((live.get("metadata") or {}).get("annotations") or {}):
        return
    config = clone(applied)
    meta = config.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    annotations.pop(LAST_APPLIED, None)
    if not annotations:
        meta.pop("annotations", None)
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    new.setdefault("metadata", {}).setdefault("annotations", {})[LAST_APPLIED] = text + "\n"


def _identity(entry: dict[str, Any]) -> tuple[str, str, str, str]:
    version = (entry.get("apiVersion") or "") if entry.get("operation") == UPDATE else ""
    return entry.get("manager") or "", entry.get("operation") or "", version, entry.get("subresource") or ""


def _sort_key(entry: dict[str, Any]) -> tuple[str, ...]:
    return (entry.get("operation", ""), entry.get("time", ""), entry.get("manager", ""),
            entry.get("apiVersion", ""), entry.get("subresource", ""))


def record(live: dict[str, Any] | None, new: dict[str, Any], write: Write, *, has_status: bool,
           context: str = "", applied: dict[str, Any] | None = None, reset: bool = False) -> list[dict[str, Any]]:
    """The managedFields of `new` after `write` turned `live` (None on create) into it.

    `applied` is the apply configuration of an Apply write; `reset` drops the live entries."""
    before = fields.members(tracked(live, has_status=has_status, subresource=write.subresource), context)
    after = fields.members(tracked(new, has_status=has_status, subresource=write.subresource), context)
    changed = {p for p, v in after.items() if before.get(p) != v}
    removed = set(before) - set(after)
    entries = [] if reset or live is None else clone((live.get("metadata") or {}).get("managedFields") or [])
    me = {"manager": write.manager, "operation": write.operation, "apiVersion": write.api_version,
          "subresource": write.subresource}
    if write.operation == APPLY:
        # an applier takes only what it applies and changes; what the server changed alongside
        # (defaults, the synced last-applied annotation) stays with its owners
        config = tracked(applied or {}, has_status=has_status, subresource=write.subresource)
        own: set[fields.Path] | None = set(fields.members(config, context, applied=True))
        taken = changed & own
    else:
        own, taken = None, changed
    mine: set[fields.Path] = set()
    kept = []
    for entry in entries:
        paths = fields.decode(entry.get("fieldsV1"))
        if _identity(entry) == _identity(me):
            mine = paths
            continue
        paths -= taken | removed
        if paths:
            kept.append({**entry, "fieldsV1": fields.encode(paths)})
    own = own if own is not None else (mine - removed) | changed
    if own:
        entry = {"manager": write.manager, "operation": write.operation, "apiVersion": write.api_version,
                 "time": write.time, "fieldsType": "FieldsV1", "fieldsV1": fields.encode(own)}
        if write.subresource:
            entry["subresource"] = write.subresource
        kept.append(entry)
    return sorted(kept, key=_sort_key)
