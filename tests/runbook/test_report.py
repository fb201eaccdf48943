"""The run's records without running anything: report.json against its shipped JSON Schema, the
JUnit XML (read back with the standard library's parser), the failing cell found in an executed
notebook as papermill writes it, the log lines of a failing step, and the output folder's clean-up."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from keyless.junit import write_junit
from keyless.report import SCHEMA_VERSION, NotebookRun, RunReport, schema, step_lines
from keyless.runner import UnknownNotebook, clear_previous, failing_cell, notebooks_dir, select

FAILED_STEP = {"step": "create-federated-credential", "status": "failed", "summary": "(AuthorizationFailed) denied",
               "touched": [], "changes": [], "hint": "ask an Owner", "duration_s": 0.2, "expected_failure": False,
               "checks": [{"name": "issuer matches", "ok": False, "detail": "has 'x'", "hint": "recreate it"},
                          {"name": "subject matches", "ok": True, "detail": "", "hint": ""}]}
OK_STEP = {"step": "assign-openai-role", "status": "created", "summary": "granted", "touched": ["/sub/ra"],
           "changes": [], "hint": "", "checks": [], "duration_s": 0.8, "expected_failure": False}
EXERCISE = {"step": "verify", "status": "failed", "summary": "the chain is broken", "touched": [], "changes": [],
            "hint": "put the label back", "checks": [], "duration_s": 5.0, "expected_failure": True}


def failed_report(tmp_path: Path) -> RunReport:
    report = RunReport("emulator", {"target": "emulator", "resource_group": "myResourceGroup",
                                    "data_dir": str(tmp_path / "data"), "dry_run": False}, str(tmp_path / "out"))
    report.notebooks = [
        NotebookRun("03-create-federated-credential", "failed", 4.2, str(tmp_path / "03.ipynb"),
                    str(tmp_path / "03.html"), 5, "nb03-05", "create-federated-credential",
                    "StepFailed: step create-federated-credential failed", [OK_STEP, FAILED_STEP]),
        NotebookRun("05-test-the-application", "passed", 9.0, str(tmp_path / "05.ipynb"), str(tmp_path / "05.html"),
                    steps=[{**OK_STEP, "step": "verify", "status": "ok"}, EXERCISE,
                           {**OK_STEP, "step": "verify", "status": "ok"}]),
        NotebookRun("99-clean-up", "skipped"),
    ]
    report.finish()
    return report


def test_report_json_follows_the_shipped_versioned_schema(tmp_path):
    doc = failed_report(tmp_path).to_json()
    assert doc["schema_version"] == SCHEMA_VERSION == schema()["properties"]["schema_version"]["const"]
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.validate(doc, schema())
    assert doc["parameters"]["data_dir"] == str(tmp_path / "data") and doc["mode"] == "run"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**doc, "parameters": {**doc["parameters"], "data_dir": ""}}, schema())


def test_junit_has_one_case_per_step_and_the_failure_carries_message_fix_and_cell(tmp_path):
    path = write_junit(failed_report(tmp_path), tmp_path / "reports" / "junit.xml")
    root = ET.parse(path).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("6", "1", "1")
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    assert list(cases) == [("keyless.03-create-federated-credential", "assign-openai-role"),
                           ("keyless.03-create-federated-credential", "create-federated-credential"),
                           ("keyless.05-test-the-application", "verify"),
                           ("keyless.05-test-the-application", "verify (2)"),
                           ("keyless.05-test-the-application", "verify (3)"),
                           ("keyless.99-clean-up", "(notebook)")]
    failure = cases[("keyless.03-create-federated-credential", "create-federated-credential")].find("failure")
    assert failure is not None and failure.get("message") == "(AuthorizationFailed) denied"
    assert failure.text.splitlines() == [
        "[FAIL] issuer matches: has 'x'", "    fix: recreate it", "[PASS] subject matches", "what to do: ask an Owner",
        "at 03-create-federated-credential, cell 5 (id nb03-05), step create-federated-credential"]
    assert cases[("keyless.05-test-the-application", "verify (2)")].find("failure") is None  # the exercise
    assert cases[("keyless.99-clean-up", "(notebook)")].find("skipped") is not None


def test_a_failing_step_is_logged_with_its_failing_checks_fix_and_what_to_do():
    assert step_lines(FAILED_STEP) == [
        "  - create-federated-credential: failed - (AuthorizationFailed) denied",
        "      [FAIL] issuer matches: has 'x'", "             fix: recreate it", "      what to do: ask an Owner"]
    assert step_lines(EXERCISE) == ["  - verify: expected failure - the chain is broken"]


def test_the_failing_cell_is_the_one_with_the_error_not_the_one_before(tmp_path):
    """Papermill counts its injected-parameters cell and puts an error banner on top of the file."""
    source = new_notebook(cells=[new_markdown_cell("# t"), new_code_cell("x = 1"), new_code_cell("rb.discover()")])
    for i, cell in enumerate(source.cells):
        cell["id"] = f"nb00-{i:02d}"
    nbformat.write(source, tmp_path / "source.ipynb")
    executed = new_notebook(cells=[new_markdown_cell("An Exception was encountered"), *source.cells])
    executed.cells.insert(3, new_code_cell("# Parameters\nx = 2"))
    executed.cells[-1].outputs = [new_output("error", ename="StepFailed", evalue="step discover failed",
                                             traceback=[])]
    nbformat.write(executed, tmp_path / "executed.ipynb")
    assert failing_cell(tmp_path / "executed.ipynb", tmp_path / "source.ipynb") == (2, "nb00-02")


def test_an_unknown_only_entry_is_refused_by_name():
    with pytest.raises(UnknownNotebook, match=r"--only 42, 7: no such notebook \(choose from 00-before-you-begin"):
        select(notebooks_dir(), ["00", "42", "7"])
    assert [b.stem for b in select(notebooks_dir(), ["03", "99"])] == ["03-create-federated-credential",
                                                                      "99-clean-up"]


def test_a_reused_output_folder_loses_the_previous_runs_files_only(tmp_path):
    for name in ("report.json", "01-enable-workload-identity.ipynb", "01-enable-workload-identity.html",
                 "01-enable-workload-identity.steps.jsonl", "notes.txt"):
        (tmp_path / name).write_text("{}")
    clear_previous(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
