"""Behaviour switches kept in the state (so snapshots carry them), validated on the way in."""
from __future__ import annotations

from typing import Any


class SettingsError(ValueError):
    pass


# name -> (type, minimum, maximum, meaning)
KNOWN: dict[str, tuple[type, float, float, str]] = {
    "federation_propagation_seconds": (float, 0, 600,
                                       "seconds after a federated credential is written before Entra honours it"),
    "role_propagation_seconds": (float, 0, 600,
                                 "seconds after a role assignment is made before data-plane calls honour it"),
    "federation_write_seconds": (float, 0, 60,
                                 "seconds a federated credential write holds its managed identity (a concurrent write "
                                 "under the same identity meanwhile gets 409)"),
}


def validate_settings(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SettingsError("body must be a JSON object of settings")
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name not in KNOWN:
            raise SettingsError(f"unknown setting {name!r}; known: {', '.join(sorted(KNOWN))}")
        kind, lo, hi, meaning = KNOWN[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (lo <= value <= hi):
            raise SettingsError(f"{name} ({meaning}) must be a number between {lo:g} and {hi:g}")
        out[name] = kind(value)
    return out
