"""What `kubectl apply` leaves on an object it created: the last-applied-configuration annotation.

The prerequisite article creates the store with `kubectl apply`, so on AKS every store object
carries `kubectl.kubernetes.io/last-applied-configuration`: the applied manifest as compact JSON
with sorted keys, its own annotation left out (an empty `annotations` map remains) and a trailing
newline, as kubectl writes it. The secure-access article's `kubectl apply` of the keyless
Deployment computes its three-way patch from it, and that patch is what removes OPENAI_API_KEY:
without the annotation kubectl only merges and the key stays. kubectl creates the object under
the field manager `kubectl-client-side-apply`, so its managedFields entry (operation Update)
covers the applied fields, those the API server defaulted and the annotation.
"""
from __future__ import annotations

import copy
import json
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
APPLY_MANAGER = "kubectl-client-side-apply"


def last_applied_configuration(manifest: dict[str, Any]) -> str:
    applied = copy.deepcopy(manifest)
    meta = applied.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    meta["annotations"] = annotations
    text = json.dumps(applied, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Go's encoding/json escapes these three in strings; kubectl's annotation shows them so.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text + "\n"


def as_applied(manifest: dict[str, Any]) -> dict[str, Any]:
    """The object kubectl sends when it creates `manifest` with `kubectl apply`."""
    obj = copy.deepcopy(manifest)
    annotations = obj.setdefault("metadata", {}).setdefault("annotations", {})
    annotations[LAST_APPLIED] = last_applied_configuration(manifest)
    return obj
