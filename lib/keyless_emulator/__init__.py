"""keyless_emulator — an offline twin of the Azure and AKS pieces of the procedure.

Public API (the rest of keyless uses only this):

- `EmulatorConfig`: where it listens, its data folder, scenario, seed, latency profile.
- `start_in_thread(config)`: serve from this process (tests, notebooks); returns an
  `InProcessEmulator` with `.info` and `.stop()`.
- `start_background(config)`: start `serve` as a detached process; returns `EmulatorInfo`.
- `attach(home)`: the running emulator of a data folder, as `EmulatorInfo`.
- `stop(home)`: stop the background emulator.
- `EmulatorInfo`: url, CA files, tenant/subscription/operator credentials, admin key; `.env()`.
- `AttendeeProfile`, `read_profile(folder)`, `ProfileNotFound`: a workshop attendee's profile
  (`attendees.py`): URL, CA and their tenant's operator credentials; `.env()` like `EmulatorInfo`.
- `ControlClient`: the one client of the control API (`/_emulator/...`): reset, snapshots,
  request log, faults, latency, settings, tenants.

This package imports nothing of the runbook (`keyless`); the import-linter contracts in
pyproject.toml say so and `make test` checks them.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Each public name is imported from its module on first use (PEP 562), so importing a part of the
# package alone — a store app, `keyless_emulator.storeapps.pod_runtime` in the pod runtime host —
# does not load the server, its TLS and its signing (about 8 MiB in every process that did).
_PUBLIC = {
    "AttendeeProfile": "attendees", "ProfileNotFound": "attendees", "read_profile": "attendees",
    "ControlClient": "client", "ControlError": "client",
    "EmulatorConfig": "config", "default_home": "config",
    "attach": "process", "start_background": "process", "stop": "process",
    "EmulatorInfo": "runtime", "EmulatorNotRunning": "runtime",
    "InProcessEmulator": "server", "start_in_thread": "server",
}

if TYPE_CHECKING:
    from .attendees import AttendeeProfile, ProfileNotFound, read_profile
    from .client import ControlClient, ControlError
    from .config import EmulatorConfig, default_home
    from .process import attach, start_background, stop
    from .runtime import EmulatorInfo, EmulatorNotRunning
    from .server import InProcessEmulator, start_in_thread


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


__all__ = ["AttendeeProfile", "ControlClient", "ControlError", "EmulatorConfig", "EmulatorInfo", "EmulatorNotRunning",
           "InProcessEmulator", "ProfileNotFound", "attach", "default_home", "read_profile", "start_background",
           "start_in_thread", "stop"]
