"""An attendee on their own machine, the workshop's emulator on a shared address (`--host`) elsewhere: with
only their attendee folder copied over (profile and CA, no runtime file, no admin key) the runbook signs in
and reads their tenant and cluster at the shared address; `run --attendee` without `--no-reset` says that
the reset is the facilitator's, before anything is sent.

The emulator is in-process on 127.0.0.2 without a kubelet (nothing here needs pods); the attendee's
machine is a folder of its own.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from kit.processes import OFFLINE

import keyless
import keyless.kube
from keyless_emulator import ControlClient, EmulatorConfig, InProcessEmulator, start_in_thread
from keyless_emulator.attendees import write_profile

HOST = "127.0.0.2"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    emu = start_in_thread(EmulatorConfig(home=tmp_path_factory.mktemp("room-server"), host=HOST, kubelet=False))
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def laptop(server: InProcessEmulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The attendee's machine: a data folder holding only `attendees/ada` as the facilitator handed it out."""
    created = ControlClient.of(server.info).add_tenant("ada")
    written = write_profile(server.backend.config.home, server.info.url, Path(server.info.ca_cert), created)
    home = tmp_path_factory.mktemp("laptop") / ".keyless"
    shutil.copytree(Path(written.ca_cert).parent, home / "attendees" / "ada")
    return home


def test_the_attendee_reaches_their_tenant_and_cluster_at_the_shared_address(server, laptop, monkeypatch):
    monkeypatch.setenv("KEYLESS_ATTENDEE", "ada")
    rb = keyless.init(keyless.Parameters(data_dir=str(laptop)))
    assert rb.params.home == laptop / "attendees" / "ada"
    assert rb.clients.arm_url.startswith(f"https://{HOST}:")
    found = rb.discover()
    assert found.status == "ok", repr(found)
    kube = keyless.kube.connect(rb.clients, "myResourceGroup", "myAKSCluster", rb.params.home)
    assert kube.core.list_namespaced_service_account("default").items is not None
    assert kube.core.api_client.configuration.host.startswith(f"https://{HOST}:")


def test_a_run_that_would_reset_says_the_reset_is_the_facilitators(laptop):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("KEYLESS_", "AZURE_"))}, **OFFLINE}
    result = subprocess.run([sys.executable, "-m", "keyless", "run", "--attendee", "ada", "--out",
                             str(laptop.parent / "out")], cwd=laptop.parent, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: no emulator runs for the data folder {laptop}, so the tenant of "
                                    "attendee ada cannot be reset from here")
    assert "add --no-reset" in result.stderr and "attendees reset ada" in result.stderr
    assert not (laptop.parent / "out" / "report.json").exists()
