"""`python -m keyless run` as a user runs it: a subprocess, a background emulator of its own data
folder, executed notebooks + HTML + report.json, non-zero exit naming the failing notebook and
cell, and no secret in anything it writes."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from secretscan import assert_no_secret, emulator_secrets, pod_logs

from keyless_emulator import ControlClient, EmulatorConfig, attach, start_background, stop

ROOT = Path(__file__).resolve().parents[2]


def keyless_run(*args: str, cwd: Path, timeout: int = 900,
                extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KEYLESS_")}, **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "keyless", "run", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    data = tmp_path / "data"
    yield data
    stop(data)  # the background emulator this test's run started (found by its data folder)


def scan_run(home: Path, *outs: Path) -> None:
    """No secret in the run's output folders (executed notebooks, HTML, report.json, step logs),
    the state files, the emulator's log or the pods' logs (tests/secretscan.py)."""
    info = attach(home)
    assert_no_secret([*outs, home / "state", Path(info.log_file), *pod_logs(home)], emulator_secrets(info))


@pytest.mark.slow
def test_run_on_the_emulator_writes_notebooks_html_and_report_without_secrets(tmp_path, home):
    out = tmp_path / "out"
    done = keyless_run("--target", "emulator", "-p", "data_dir", str(home), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "keyless run on emulator: PASSED" in done.stdout
    report = json.loads((out / "report.json").read_text())
    names = [n["name"] for n in report["notebooks"]]
    assert names == ["00-before-you-begin", "01-enable-workload-identity", "02-create-managed-identity",
                     "03-create-federated-credential", "04-use-workload-identity-on-aks", "05-test-the-application",
                     "99-clean-up"]
    assert all(n["status"] == "passed" for n in report["notebooks"])
    for nb in report["notebooks"]:
        assert Path(nb["output"]).exists() and Path(nb["html"]).exists()
    steps = {s["step"]: s for nb in report["notebooks"] for s in nb["steps"]}
    assert steps["verify"]["status"] == "ok" and steps["clean-up"]["status"] == "ok"
    assert any(s.get("expected_failure") for nb in report["notebooks"] for s in nb["steps"])
    assert any("userAssignedIdentities/myIdentity" in t for t in report["resources_touched"])
    assert Path(attach(home).log_file).exists() and list((home / "state").glob("*.json"))
    scan_run(home, out)


@pytest.mark.slow
def test_a_failing_notebook_exits_non_zero_naming_notebook_and_cell(tmp_path, home):
    out = tmp_path / "out"
    done = keyless_run("-p", "data_dir", str(home), "-p", "openai_account", "missingAccount", "--only", "00,01",
                       "--out", str(out), cwd=tmp_path)
    assert done.returncode == 1
    assert re.search(r"FAILED: notebook 00-before-you-begin, cell \d+ \(id nb00-\d+\): StepFailed: step discover "
                     r"failed: no Azure OpenAI account named 'missingAccount'", done.stderr), done.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    assert [n["status"] for n in report["notebooks"]] == ["failed", "skipped"]
    assert report["status"] == "failed"
    # the failing step's explanation is in the executed notebook, above the short error
    assert "check the openai_account parameter" in (out / "00-before-you-begin.ipynb").read_text()
    scan_run(home, out)


@pytest.mark.slow
def test_only_runs_the_named_notebooks_and_reuses_the_emulator(tmp_path, home):
    first = keyless_run("-p", "data_dir", str(home), "--only", "00", "--out", str(tmp_path / "a"), cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    pid = attach(home).pid
    second = keyless_run("-p", "data_dir", str(home), "--only", "00", "--out", str(tmp_path / "b"), cwd=tmp_path)
    assert second.returncode == 0
    assert attach(home).pid == pid
    assert [n["name"] for n in json.loads((tmp_path / "b" / "report.json").read_text())["notebooks"]] == [
        "00-before-you-begin"]
    info = attach(home)
    health = ControlClient.of(info).health()
    assert health["scenario"] == "before-you-begin"


@pytest.mark.slow
def test_each_notebook_runs_alone_once_the_earlier_ones_have_run(tmp_path, home):
    def only(which: str, reset: bool = False) -> dict:
        out = tmp_path / which.replace(",", "-")
        args = ["-p", "data_dir", str(home), "--only", which, "--out", str(out)] + ([] if reset else ["--no-reset"])
        done = keyless_run(*args, cwd=tmp_path)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return {s["step"]: s["status"] for nb in json.loads((out / "report.json").read_text())["notebooks"]
                for s in nb["steps"]}

    assert only("00,01,02", reset=True)["create-managed-identity"] == "created"
    assert only("03")["create-federated-credential"] == "created"      # a new kernel: state file re-read
    assert only("04")["redeploy-app"] == "updated"
    assert only("05")["verify"] == "ok"
    assert only("99")["clean-up"] == "ok"
    again = only("99")                                                   # safe twice
    assert again["clean-up"] == "ok" and again["clean-up-plan"] == "ok"
    scan_run(home, *(p for p in tmp_path.iterdir() if p.is_dir() and p != home))


@pytest.mark.slow
def test_the_azure_target_runs_the_whole_runbook_against_a_cloud_named_by_its_metadata_url(tmp_path, home):
    """What an Azure user runs — `--target azure -p cloud <metadata URL>`, a service principal in the
    environment — against a fresh emulator: every notebook passes on the one code path."""
    info = start_background(EmulatorConfig(home=home))
    env = {**info.env(), "AZURE_TOKEN_CREDENTIALS": "prod"}  # as `eval "$(python -m keyless_emulator env)"` leaves
    out = tmp_path / "out"
    done = keyless_run("--target", "azure", "-p", "cloud", f"{info.url}/metadata/endpoints?api-version=2022-09-01",
                       "-p", "data_dir", str(tmp_path / "azure-data"), "--out", str(out), cwd=tmp_path, extra_env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "keyless run on azure: PASSED" in done.stdout
    report = json.loads((out / "report.json").read_text())
    assert all(n["status"] == "passed" for n in report["notebooks"]) and len(report["notebooks"]) == 7
    steps = {s["step"]: s for nb in report["notebooks"] for s in nb["steps"]}
    assert steps["verify"]["status"] == "ok" and steps["clean-up"]["status"] == "ok"
    assert [p.name.split("-")[0] for p in (tmp_path / "azure-data" / "state").glob("*.json")] == ["azure"]
    scan_run(home, out, tmp_path / "azure-data")


def test_an_unreachable_metadata_endpoint_exits_2_naming_the_cloud_parameter(tmp_path):
    out = tmp_path / "out"
    done = keyless_run("--target", "azure", "-p", "cloud", "https://127.0.0.1:9/metadata/endpoints",
                       "-p", "data_dir", str(tmp_path / "data"), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "parameter 'cloud' = 'https://127.0.0.1:9/metadata/endpoints' is not valid: the metadata endpoint " \
           "https://127.0.0.1:9/metadata/endpoints?api-version=2022-09-01 could not be reached" in done.stderr
    assert "nothing was changed." in done.stderr and not (out / "report.json").exists()
