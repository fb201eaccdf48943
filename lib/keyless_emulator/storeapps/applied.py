"""What `kubectl apply` leaves on an object it created: the last-applied-configuration annotation.

The prerequisite article creates the store with `kubectl apply`, so on AKS every store object
carries `kubectl.kubernetes.io/last-applied-configuration`: the applied manifest as compact JSON
with sorted keys, its own annotation left out (an empty `annotations` map remains) and a trailing
newline, as kubectl writes it. The secure-access article's `kubectl apply` of the keyless
Deployment computes its three-way patch from it, and that patch is what removes OPENAI_API_KEY:
without the annotation kubectl only merges and the key stays. kubectl creates the object under
the field manager `kubectl-client-side-apply`, so its managedFields entry (operation Update)
covers the applied fields, those the API server defaulted and the annotation.

The rules live with the manifests in `store_manifests` (shared with the runbook, which applies the
same objects the same way); this module names them for the emulator.
"""
from __future__ import annotations

from store_manifests import APPLY_MANAGER, LAST_APPLIED, as_applied, last_applied_configuration

__all__ = ["APPLY_MANAGER", "LAST_APPLIED", "as_applied", "last_applied_configuration"]
