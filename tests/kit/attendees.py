"""A background emulator (started through the CLI, no kubelet) with attendees added by `attendees add`,
and what an attendee holds: their profile and a credential built from it, as they would build it."""
from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from azure.identity import ClientSecretCredential

from keyless_emulator import AttendeeProfile, EmulatorInfo, attach, read_profile

from .processes import cli, kill_if_alive


@contextmanager
def emulator_with_attendees(home: Path, names: tuple[str, ...], *start_args: str
                            ) -> Iterator[tuple[EmulatorInfo, subprocess.CompletedProcess[str]]]:
    """Started with `start --no-kubelet *start_args`, the attendees added; stopped (killed if need be) after.
    Yields the emulator and the completed `start` (its stderr holds any warning it printed)."""
    started = cli(home, "start", "--no-kubelet", *start_args)
    assert started.returncode == 0, started.stderr
    info = attach(home)
    try:
        added = cli(home, "attendees", "add", *names)
        assert added.returncode == 0, added.stderr
        yield info, started
    finally:
        cli(home, "stop")
        kill_if_alive(info.pid)


def profile(home: Path, name: str) -> AttendeeProfile:
    return read_profile(home / "attendees" / name)


def credential(p: AttendeeProfile) -> ClientSecretCredential:
    return ClientSecretCredential(p.tenant_id, p.client_id, p.client_secret, authority=p.url,
                                  disable_instance_discovery=True, connection_verify=p.ca_cert)
