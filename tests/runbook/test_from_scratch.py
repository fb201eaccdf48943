"""`python -m keyless run --from-scratch` as a workshop or pipeline runs it: one process, a background
emulator of its own data folder reset to `empty` (instant operations, as a fresh one starts),
prerequisites, the runbook and teardown, ending where it began; and on Azure a refusal, with nothing
sent, unless confirm_costs is given."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from keyless_emulator import ControlClient, attach

from .test_cli import home, keyless, keyless_run, read_report, scan_run  # noqa: F401 - `home` is a fixture

RUNBOOK = ["00-before-you-begin", "01-enable-workload-identity", "02-create-managed-identity",
           "03-create-federated-credential", "04-use-workload-identity-on-aks", "05-test-the-application",
           "06-disable-key-access", "99-clean-up"]


def comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    snap = copy.deepcopy(snapshot)
    snap.pop("ids", None)  # id counters only move forward
    return snap


@pytest.mark.slow
def test_from_scratch_builds_runs_and_tears_down_back_to_the_empty_scenario(tmp_path, home):  # noqa: F811
    out = tmp_path / "out"
    done = keyless_run("--from-scratch", "-p", "data_dir", str(home), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-3000:]
    report = read_report(out)
    assert [n["name"] for n in report["notebooks"]] == ["prerequisites", *RUNBOOK, "teardown"]
    assert all(n["status"] == "passed" for n in report["notebooks"])
    steps = {(nb["name"], s["step"]): s["status"] for nb in report["notebooks"] for s in nb["steps"]}
    assert steps[("prerequisites", "create-cluster")] == "created"
    assert steps[("prerequisites", "deploy-store")] == "created"
    assert steps[("prerequisites", "wait-for-store-admin")] == "ok"
    assert steps[("05-test-the-application", "verify")] == "ok"
    assert steps[("teardown", "delete-resource-group")] == "deleted"
    assert steps[("teardown", "purge-openai-accounts")] == "deleted"
    scan_run(home, out)

    control = ControlClient.of(attach(home))
    after = comparable(control.snapshot())
    control.reset("empty")
    assert after == comparable(control.snapshot())


def test_from_scratch_on_azure_without_confirm_costs_exits_2_and_sends_nothing(tmp_path):
    # an unreachable cloud: had anything been sent the error would be the cloud's, not the refusal
    done = keyless_run("--from-scratch", "--target", "azure", "-p", "cloud", "https://127.0.0.1:9/metadata/endpoints",
                       "-p", "data_dir", str(tmp_path / "data"), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("error: parameter 'confirm_costs' = False is not valid: --from-scratch on Azure "
                                  "creates billed resources")
    assert "nothing was changed." in done.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "data").exists()


def test_list_from_scratch_names_prerequisites_the_runbook_and_teardown(tmp_path):
    done = keyless("run", "--list", "--from-scratch", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    books = [line for line in done.stdout.splitlines() if not line.startswith(" ")]
    assert books == ["prerequisites", *RUNBOOK, "teardown"]
    assert "    create-cluster" in done.stdout and "    purge-openai-accounts" in done.stdout
    plain = keyless("run", "--list", cwd=tmp_path)
    assert [line for line in plain.stdout.splitlines() if not line.startswith(" ")] == RUNBOOK


def test_from_scratch_with_another_scenario_is_refused_before_anything_runs(tmp_path):
    done = keyless_run("--from-scratch", "--target", "emulator", "--scenario", "before-you-begin-entra",
                       "-p", "data_dir", str(tmp_path / "data"), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("error: --scenario before-you-begin-entra and --from-scratch: pick one")
    assert not (tmp_path / "out").exists() and not (tmp_path / "data").exists()
