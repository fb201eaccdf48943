"""`python -m keyless run | plan | check` as a user or a pipeline runs it: a subprocess, a background
emulator of its own data folder, executed notebooks + HTML + report.json (validated against its
shipped schema) + JUnit XML, non-zero exit naming the failing notebook, cell and step, plan and
check sending nothing mutating, and no secret in anything it writes."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from secretscan import assert_no_secret, emulator_secrets, pod_logs

from keyless.report import schema
from keyless_emulator import ControlClient, EmulatorConfig, EmulatorNotRunning, attach, start_background, stop

ROOT = Path(__file__).resolve().parents[2]
SETUP = "00,01,02,03,04,05,06"


def keyless(command: str, *args: str, cwd: Path, timeout: int = 900,
            extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KEYLESS_")}, **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "keyless", command, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def keyless_run(*args: str, cwd: Path, timeout: int = 900,
                extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return keyless("run", *args, cwd=cwd, timeout=timeout, extra_env=extra_env)


def read_report(out: Path) -> dict:
    """report.json, validated against the JSON Schema the package ships (every report a test reads)."""
    report = json.loads((out / "report.json").read_text())
    jsonschema.validate(report, schema())
    return report


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
def test_run_on_the_emulator_writes_notebooks_html_and_report_without_secrets(executed_run):
    """The session's one whole run (tests/runbook/conftest.py: `python -m keyless run --target emulator`)."""
    done, home, out = executed_run.done, executed_run.home, executed_run.out
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "keyless run on emulator: PASSED" in done.stdout
    report = read_report(out)
    names = [n["name"] for n in report["notebooks"]]
    assert names == ["00-before-you-begin", "01-enable-workload-identity", "02-create-managed-identity",
                     "03-create-federated-credential", "04-use-workload-identity-on-aks", "05-test-the-application",
                     "06-disable-key-access", "99-clean-up"]
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
    assert re.search(r"FAILED: notebook 00-before-you-begin, cell 8 \(id nb00-08\), step discover: StepFailed: step "
                     r"discover failed: no Azure OpenAI account named 'missingAccount'", done.stderr), \
        done.stderr[-2000:]
    report = read_report(out)
    assert [n["status"] for n in report["notebooks"]] == ["failed", "skipped"]
    failed = report["notebooks"][0]
    assert (failed["failed_cell"], failed["failed_cell_id"], failed["failed_step"]) == (8, "nb00-08", "discover")
    # the failing step's summary and fix reach the log as it happens, not only report.json
    assert "  - discover: failed - no Azure OpenAI account named 'missingAccount'" in done.stdout
    assert "      what to do: check the openai_account parameter" in done.stdout
    assert report["status"] == "failed"
    # the failing step's explanation is in the executed notebook, above the short error
    assert "check the openai_account parameter" in (out / "00-before-you-begin.ipynb").read_text()
    scan_run(home, out)


@pytest.mark.slow
def test_only_runs_the_named_notebooks_reuses_the_emulator_and_a_reused_out_holds_the_latest_run(tmp_path, home):
    first = keyless_run("-p", "data_dir", str(home), "--only", "00,01", "--out", str(tmp_path / "b"), cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    pid = attach(home).pid
    second = keyless_run("-p", "data_dir", str(home), "--only", "00", "--out", str(tmp_path / "b"), cwd=tmp_path)
    assert second.returncode == 0
    assert attach(home).pid == pid
    assert [n["name"] for n in read_report(tmp_path / "b")["notebooks"]] == [
        "00-before-you-begin"]
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        "00-before-you-begin.html", "00-before-you-begin.ipynb", "00-before-you-begin.steps.jsonl", "report.json"]
    info = attach(home)
    health = ControlClient.of(info).health()
    assert health["scenario"] == "before-you-begin"


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
    report = read_report(out)
    assert all(n["status"] == "passed" for n in report["notebooks"]) and len(report["notebooks"]) == 8
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
def test_help_lists_parameters_defaults_and_exit_codes(tmp_path):
    done = keyless("run", "--help", cwd=tmp_path, timeout=60)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for expected in ("resource_group the prerequisite article's resource group ['myResourceGroup']",
                     "verify_timeout seconds to wait for a generated description [120]", "dry_run", "0 passed",
                     "1 a notebook failed", "2 bad parameters or usage", "3 check only: something would change",
                     "--junit FILE", "--timeout SECONDS", "--stop-emulator", "--list", "--log-output",
                     "leave it running for the next run"):
        assert expected in text, expected


def test_list_names_every_notebook_and_its_steps_and_starts_nothing(tmp_path):
    done = keyless("plan", "--list", "-p", "data_dir", str(tmp_path / "data"), cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == ["00-before-you-begin", "    discover", "01-enable-workload-identity"]
    assert "03-create-federated-credential\n    assign-openai-role\n    create-federated-credential\n" in done.stdout
    assert "99-clean-up\n    clean-up-plan\n    clean-up\n" in done.stdout
    assert not (tmp_path / "data").exists()


def test_an_unknown_only_entry_exits_2_naming_it_and_writes_nothing(tmp_path, home):
    done = keyless_run("-p", "data_dir", str(home), "--only", "00,42", "--out", str(tmp_path / "out"),
                       cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("error: --only 42: no such notebook (choose from 00-before-you-begin, ")
    assert not (tmp_path / "out").exists() and not home.exists()


@pytest.mark.slow
def test_a_notebook_over_its_timeout_fails_and_stop_emulator_leaves_nothing_running(tmp_path, home):
    # At real-time latency the cluster update 01 starts takes five minutes. 01 leaves it running and 02
    # does not need it, but 03 (the federated credential needs the cluster's issuer) waits for it: 03
    # cannot finish within the timeout however fast this machine is.
    start_background(EmulatorConfig(home=home, latency="realistic", latency_factor=1.0))
    out = tmp_path / "out"
    done = keyless_run("-p", "data_dir", str(home), "--only", "01,02,03", "--no-reset", "--timeout", "15",
                       "--stop-emulator", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 1
    assert ("FAILED: notebook 03-create-federated-credential: NotebookTimeout: 03-create-federated-credential did "
            "not finish within 15s (--timeout)") in done.stderr
    assert [n["status"] for n in read_report(out)["notebooks"]] == ["passed", "passed", "failed"]
    assert not (home / "emulator.json").exists()
    with pytest.raises(EmulatorNotRunning):
        attach(home)


@pytest.mark.slow
def test_a_permanent_fault_is_named_by_cell_and_step_in_report_junit_and_log_and_fails_plain_papermill(tmp_path,
                                                                                                      home):
    first = keyless_run("-p", "data_dir", str(home), "--only", "00,01,02", "--out", str(tmp_path / "a"), cwd=tmp_path)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    ControlClient.of(attach(home)).faults({"route": "/federatedIdentityCredentials/", "method": "PUT", "status": 403,
                                           "code": "AuthorizationFailed", "message": "injected: no write here"})
    out, junit = tmp_path / "b", tmp_path / "reports" / "junit.xml"
    done = keyless_run("-p", "data_dir", str(home), "--only", "03,04", "--no-reset", "--out", str(out),
                       "--junit", str(junit), "--log-output", cwd=tmp_path)
    assert done.returncode == 1
    assert "\nassign-openai-role: created - granted Cognitive Services OpenAI User" in done.stdout  # --log-output
    assert ("FAILED: notebook 03-create-federated-credential, cell 5 (id nb03-05), step create-federated-credential: "
            "StepFailed: step create-federated-credential failed: (AuthorizationFailed) injected: no write here"
            ) in done.stderr
    assert "  - create-federated-credential: failed - (AuthorizationFailed) injected: no write here" in done.stdout
    assert "      what to do: the signed-in identity lacks this permission at this scope" in done.stdout
    report = read_report(out)
    failed = report["notebooks"][0]
    assert (failed["status"], failed["failed_cell"], failed["failed_cell_id"], failed["failed_step"]) == (
        "failed", 5, "nb03-05", "create-federated-credential")
    assert [n["status"] for n in report["notebooks"]] == ["failed", "skipped"]
    import xml.etree.ElementTree as ET

    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "1")
    case = next(c for c in root.iter("testcase") if c.get("name") == "create-federated-credential")
    assert case.get("classname") == "keyless.03-create-federated-credential"
    failure = case.find("failure")
    assert failure is not None and failure.get("message") == "(AuthorizationFailed) injected: no write here"
    assert "what to do: the signed-in identity lacks this permission" in failure.text
    assert "at 03-create-federated-credential, cell 5 (id nb03-05), step create-federated-credential" in failure.text

    # the same notebook run the usual papermill way (no runner, no KEYLESS_* setting) fails too
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYLESS_")}
    plain = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "notebooks" / "03-create-federated-credential"
                                                                   ".ipynb"), str(tmp_path / "plain.ipynb"),
                            "-p", "data_dir", str(home), "--cwd", str(tmp_path)],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert plain.returncode != 0
    assert "StepFailed: step create-federated-credential failed: (AuthorizationFailed)" in plain.stderr + plain.stdout
    scan_run(home, out, tmp_path / "a", tmp_path / "plain.ipynb")


@pytest.mark.slow
def test_plan_on_a_fresh_environment_sends_nothing_mutating_and_lists_the_changes(tmp_path, home):
    out = tmp_path / "plan"
    plan = keyless("plan", "-p", "data_dir", str(home), "--out", str(out), cwd=tmp_path)
    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr[-3000:]
    assert ControlClient.of(attach(home)).mutating_requests() == []
    report = read_report(out)
    assert report["mode"] == "plan" and report["parameters"]["dry_run"] is True
    assert "02-create-managed-identity: create the user-assigned managed identity myIdentity in eastus" in report[
        "changes_planned"]
    assert "      would: create the user-assigned managed identity myIdentity in eastus" in plan.stdout
    assert "the product-description request was skipped" in plan.stdout
    steps = {s["step"]: s["status"] for nb in report["notebooks"] for s in nb["steps"]}
    assert steps["remove-pod-label"] == "skipped" and steps["clean-up"] == "ok"
    scan_run(home, out)


@pytest.mark.slow
@pytest.mark.timeout(900)  # a drift check, 00-06 one notebook at a time, a second check and clean-up twice
def test_check_exits_3_before_each_notebook_runs_alone_05_before_04_exits_1_then_check_exits_0(tmp_path, home):
    """A pipeline's life on one environment: a drift check before anything ran (exit 3); each notebook run
    alone once the earlier ones have run (a new process and kernel each: the state file is re-read), and 05
    run before 04 exits 1 naming 04, sending no mutating request; a second check after 00-06 (exit 0,
    nothing mutating); clean-up, safe twice."""
    before = keyless("check", "-p", "data_dir", str(home), "--only", "00,01,02", "--out", str(tmp_path / "c1"),
                     cwd=tmp_path)
    assert before.returncode == 3, before.stdout[-3000:] + before.stderr[-3000:]
    assert "DRIFT: 3 change(s) would be made (exit 3)" in before.stderr
    assert read_report(tmp_path / "c1")["mode"] == "check"

    def only(which: str, reset: bool = False) -> dict:
        out = tmp_path / which.replace(",", "-")
        args = ["-p", "data_dir", str(home), "--only", which, "--out", str(out)] + ([] if reset else ["--no-reset"])
        done = keyless_run(*args, cwd=tmp_path)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return {s["step"]: s["status"] for nb in read_report(out)["notebooks"]
                for s in nb["steps"]}

    assert only("00,01,02", reset=True)["create-managed-identity"] == "created"
    assert only("03")["create-federated-credential"] == "created"      # a new kernel: state file re-read

    control = ControlClient.of(attach(home))
    control.clear_requests()
    early = keyless_run("-p", "data_dir", str(home), "--only", "05", "--no-reset", "--out", str(tmp_path / "05-early"),
                        cwd=tmp_path)
    assert early.returncode == 1
    assert control.mutating_requests() == []
    steps = [s for nb in read_report(tmp_path / "05-early")["notebooks"] for s in nb["steps"]]
    assert [(s["step"], s["status"]) for s in steps] == [("verify", "failed")]
    assert "run 04 first (notebook 04-use-workload-identity-on-aks)" in steps[0]["hint"]
    keyless_check = next(c for c in steps[0]["checks"] if c["name"].startswith("keyless"))
    assert not keyless_check["ok"] and keyless_check["detail"] == "not proven: the chain is broken"

    assert only("04")["redeploy-app"] == "updated"
    assert only("05")["verify"] == "ok"
    assert only("06")["disable-key-access"] == "updated"

    control.clear_requests()
    after = keyless("check", "-p", "data_dir", str(home), "--out", str(tmp_path / "c2"), cwd=tmp_path)
    assert after.returncode == 0, after.stdout[-3000:] + after.stderr[-3000:]
    assert "0 change(s) planned - the environment matches" in after.stdout
    assert control.mutating_requests() == []
    checked = read_report(tmp_path / "c2")
    assert [n["name"] for n in checked["notebooks"]][-1] == "06-disable-key-access"   # no clean-up in a check
    assert checked["changes_planned"] == []

    assert only("99")["clean-up"] == "ok"
    again = only("99")                                                   # safe twice
    assert again["clean-up"] == "ok" and again["clean-up-plan"] == "ok"
    scan_run(home, *(p for p in tmp_path.iterdir() if p.is_dir() and p != home))
