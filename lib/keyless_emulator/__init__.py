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
from .attendees import AttendeeProfile, ProfileNotFound, read_profile
from .client import ControlClient, ControlError
from .config import EmulatorConfig, default_home
from .process import attach, start_background, stop
from .runtime import EmulatorInfo, EmulatorNotRunning
from .server import InProcessEmulator, start_in_thread

__all__ = ["AttendeeProfile", "ControlClient", "ControlError", "EmulatorConfig", "EmulatorInfo", "EmulatorNotRunning",
           "InProcessEmulator", "ProfileNotFound", "attach", "default_home", "read_profile", "start_background",
           "start_in_thread", "stop"]
