"""The runbook as a workshop attendee: `python -m keyless run --attendee NAME` and `KEYLESS_ATTENDEE`.

The attendee's folder under the workshop's data folder is the runbook's data folder (state file,
kubeconfig), its profile the emulator's URL, CA and the attendee's own credentials; the runner's reset
touches that attendee's tenant alone. Three attendees' full runbooks run at once against one emulator.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace

import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.containerservice import ContainerServiceClient
from kit.processes import OFFLINE
from secretscan import assert_no_secret, emulator_secrets

import keyless
from keyless.params import ParameterError
from keyless.targets import for_attendee
from keyless_emulator import ControlClient, EmulatorConfig, attach, read_profile, start_background, stop
from keyless_emulator.attendees import write_profile

ATTENDEES = ("ann", "ben", "cat")


def keyless_run(*args: str, cwd: Path, extra_env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("KEYLESS_", "AZURE_"))}, **OFFLINE,
           **(extra_env or {})}
    return subprocess.Popen([sys.executable, "-m", "keyless", "run", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen[str], timeout: int = 1200) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def steps(out: Path) -> dict[str, str]:
    report = json.loads((out / "report.json").read_text())
    return {f"{nb['name'][:2]}:{s['step']}": s["status"] for nb in report["notebooks"] for s in nb["steps"]}


def issuer_on(home: Path, name: str) -> bool:
    """The cluster's OIDC issuer: the runbook turns it on, clean-up cannot turn it off (AKS), a reset does."""
    p = read_profile(home / "attendees" / name)
    cred = ClientSecretCredential(p.tenant_id, p.client_id, p.client_secret, authority=p.url,
                                  disable_instance_discovery=True, connection_verify=p.ca_cert)
    aks = ContainerServiceClient(cred, p.subscription_id, base_url=p.url, connection_verify=p.ca_cert)
    cluster = aks.managed_clusters.get("myResourceGroup", "myAKSCluster")
    return bool(cluster.oidc_issuer_profile and cluster.oidc_issuer_profile.enabled)


# ---- the attendee's parameters ----------------------------------------------------------------

@pytest.fixture
def profiled(tmp_path: Path, fresh) -> Path:
    """A workshop data folder with one attendee's profile (tenant `ann` on the session's emulator)."""
    home = tmp_path / "workshop"
    created = ControlClient.of(fresh.info).add_tenant("ann")
    write_profile(home, fresh.info.url, Path(fresh.info.ca_cert), created)
    return home


def test_an_attendee_acts_in_their_own_folder_and_tenant(profiled, monkeypatch):
    monkeypatch.setenv("KEYLESS_ATTENDEE", "ann")
    rb = keyless.init(keyless.Parameters(data_dir=str(profiled)))
    ann = read_profile(profiled / "attendees" / "ann")
    assert rb.params.home == profiled / "attendees" / "ann"
    assert rb.state.path.parent == profiled / "attendees" / "ann" / "state"
    assert (rb.clients.subscription_id, rb.clients.tenant_id) == (ann.subscription_id, ann.tenant_id)
    found = rb.discover()
    assert found.status == "ok", repr(found)


def test_an_attendee_name_is_checked_against_the_rule(profiled):
    with pytest.raises(ParameterError) as e:
        for_attendee(keyless.Parameters(data_dir=str(profiled)), "../ann")
    assert e.value.name == "attendee" and "2-40 lower-case letters" in str(e.value)


def test_an_attendee_without_a_profile_is_told_who_creates_it(profiled):
    with pytest.raises(keyless.KeylessError) as e:
        for_attendee(keyless.Parameters(data_dir=str(profiled)), "zed")
    assert e.value.code == "UnknownAttendee"
    assert "python -m keyless_emulator attendees add zed" in e.value.hint


def test_the_azure_target_ignores_the_attendee(profiled):
    params = keyless.Parameters(data_dir=str(profiled), target="azure")
    assert for_attendee(params, "ann") is params


# ---- three attendees at once ----------------------------------------------------------------

@pytest.fixture
def workshop(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "data"
    start_background(EmulatorConfig(home=home))
    try:
        yield home
    finally:
        stop(home)


@pytest.mark.slow
@pytest.mark.timeout(1200)  # three full runbooks sharing two cores, then three short runs
def test_three_attendees_run_the_whole_runbook_at_once_and_resets_stay_in_their_tenant(tmp_path, workshop):
    added = subprocess.run([sys.executable, "-m", "keyless_emulator", "--home", str(workshop), "attendees", "add",
                            *ATTENDEES], capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    info = attach(workshop)
    runs = {name: keyless_run("-p", "data_dir", str(workshop), "--attendee", name, "--out", str(tmp_path / name),
                              cwd=tmp_path) for name in ATTENDEES}
    results = {name: finish(proc) for name, proc in runs.items()}
    for name, (code, out, err) in results.items():
        assert code == 0, f"{name}: {out[-3000:]}{err[-3000:]}"
        done = steps(tmp_path / name)
        assert done["05:verify"] == "ok" and done["99:clean-up"] == "ok", done
        assert (workshop / "attendees" / name / "kubeconfig-myAKSCluster").is_file()
    assert not (workshop / "state").exists()  # the operator's folder holds no attendee's state
    assert [t["name"] for t in ControlClient.of(info).tenants()] == ["ann", "ben", "cat", "contoso"]
    assert all(issuer_on(workshop, name) for name in ATTENDEES)

    # The runner's reset, as `ann`: ann's tenant back to before-you-begin, ben's and cat's untouched.
    code, out, err = finish(keyless_run("-p", "data_dir", str(workshop), "--attendee", "ann", "--only", "00",
                                        "--out", str(tmp_path / "ann-again"), cwd=tmp_path))
    assert code == 0, out[-2000:] + err[-2000:]
    assert not issuer_on(workshop, "ann")
    assert issuer_on(workshop, "ben") and issuer_on(workshop, "cat")

    # KEYLESS_ATTENDEE does the same as --attendee; the operator's own run resets only its tenant.
    code, out, err = finish(keyless_run("-p", "data_dir", str(workshop), "--only", "00",
                                        "--out", str(tmp_path / "ben-again"), cwd=tmp_path,
                                        extra_env={"KEYLESS_ATTENDEE": "ben"}))
    assert code == 0, out[-2000:] + err[-2000:]
    assert not issuer_on(workshop, "ben") and issuer_on(workshop, "cat")
    code, out, err = finish(keyless_run("-p", "data_dir", str(workshop), "--only", "00",
                                        "--out", str(tmp_path / "operator"), cwd=tmp_path))
    assert code == 0, out[-2000:] + err[-2000:]
    assert issuer_on(workshop, "cat")
    assert len(ControlClient.of(info).tenants()) == 4
    secrets = emulator_secrets(info)
    for name in ATTENDEES:  # each attendee's client secret and account keys
        secrets += emulator_secrets(SimpleNamespace(**asdict(read_profile(workshop / "attendees" / name)),
                                                    admin_key=info.admin_key))
    assert_no_secret([tmp_path / n for n in ATTENDEES] + [workshop / "attendees" / n / "state" for n in ATTENDEES],
                     secrets)


# ---- the dashboard follows the article link by link ---------------------------------------------

@pytest.mark.slow
def test_the_dashboard_ticks_every_link_as_the_runbook_makes_it(rb, admin):
    from .test_full_run import MAIN

    def links() -> dict[str, bool]:
        room = admin.call("GET", "/dashboard/progress")["tenants"]
        return next(t for t in room if t["name"] == "contoso")["links"]

    assert not any(links().values())
    ticked = {"enable_workload_identity": "workload_identity", "create_managed_identity": "identity",
              "assign_openai_role": "role", "create_federated_credential": "federated_credential",
              "create_service_account": "service_account", "redeploy_app": "redeploy"}
    for step in MAIN:
        assert getattr(rb, step)().ok, step
        if step in ticked:
            assert links()[ticked[step]], step
    assert not links()["description"]
    assert rb.verify().ok                      # ai-service generated a description with its own token
    assert all(links().values()), links()


def test_the_command_line_refuses_an_unknown_or_badly_named_attendee_before_anything_runs(tmp_path):
    for name, code, said in (("zed", 1, "error: there is no profile for the attendee zed in"),
                             ("Zed!", 2, "error: parameter 'attendee' = 'Zed!' is not valid: an attendee is named")):
        done = subprocess.run([sys.executable, "-m", "keyless", "run", "-p", "data_dir", str(tmp_path / "data"),
                               "--attendee", name, "--out", str(tmp_path / "out")], cwd=tmp_path,
                              env={**{k: v for k, v in os.environ.items() if not k.startswith("KEYLESS_")}, **OFFLINE},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == code and said in done.stderr, done.stderr
        assert not (tmp_path / "data" / "emulator.json").exists()  # no emulator was started
