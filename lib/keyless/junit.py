"""JUnit XML of a run (`--junit FILE`), written with the standard library, so CI systems (GitHub
Actions test reporters, Azure Pipelines' PublishTestResults) show each step as a test.

One <testsuite> per notebook; one <testcase> per step (classname `keyless.<notebook>`, a step run
twice in a notebook is named `verify (2)`). A failing step is a <failure> whose message is its
summary and whose text lists its failing checks with their fix, what to do and the failing cell;
a skipped step or notebook is <skipped>; an exercise's expected failure passes. A notebook that
failed outside any step (a timeout, a kernel that died) gets one `(notebook)` test case carrying
the error. Every check is listed in the test case's <system-out>.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .report import NotebookRun, RunReport, unexpected


def _case(suite: ET.Element, notebook: str, name: str, seconds: float) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=f"keyless.{notebook}", name=name, time=f"{seconds:.3f}")


def _check_lines(step: dict[str, Any]) -> list[str]:
    lines = []
    for check in step.get("checks", []):
        lines.append(f"[{'PASS' if check.get('ok') else 'FAIL'}] {check['name']}"
                     + (f": {check['detail']}" if check.get("detail") else ""))
        if not check.get("ok") and check.get("hint"):
            lines.append(f"    fix: {check['hint']}")
    return lines


def _step_case(suite: ET.Element, nb: NotebookRun, step: dict[str, Any], name: str) -> tuple[int, int]:
    case = _case(suite, nb.name, name, float(step.get("duration_s", 0.0)))
    out = [f"{step['status']}: {step.get('summary', '')}", *_check_lines(step)]
    out += [f"would: {change}" for change in step.get("changes", [])]
    if step.get("expected_failure"):
        out.append("an exercise: this step is expected to fail")
    failures = skipped = 0
    if unexpected(step):
        failures = 1
        text = [*_check_lines(step)]
        if step.get("hint"):
            text.append(f"what to do: {step['hint']}")
        if nb.failed_step == step["step"] and nb.where:
            text.append(f"at {nb.name}, {nb.where}")
        failure = ET.SubElement(case, "failure", message=step.get("summary", "") or nb.error, type="StepFailed")
        failure.text = "\n".join(text)
    elif step.get("status") == "skipped" and not step.get("expected_failure"):
        skipped = 1
        ET.SubElement(case, "skipped", message=step.get("summary", ""))
    ET.SubElement(case, "system-out").text = "\n".join(out)
    return failures, skipped


def _suite(root: ET.Element, nb: NotebookRun) -> None:
    suite = ET.SubElement(root, "testsuite", name=f"keyless.{nb.name}", time=f"{nb.duration_s:.3f}")
    tests = failures = skipped = 0
    seen: dict[str, int] = {}
    step_failed = False
    for step in nb.steps:
        seen[step["step"]] = seen.get(step["step"], 0) + 1
        name = step["step"] if seen[step["step"]] == 1 else f"{step['step']} ({seen[step['step']]})"
        f, s = _step_case(suite, nb, step, name)
        tests, failures, skipped = tests + 1, failures + f, skipped + s
        step_failed = step_failed or bool(f)
    if nb.status == "skipped" and not nb.steps:
        case = _case(suite, nb.name, "(notebook)", 0.0)
        ET.SubElement(case, "skipped", message="not run: an earlier notebook failed")
        tests, skipped = tests + 1, skipped + 1
    elif nb.status == "failed" and not step_failed:
        case = _case(suite, nb.name, "(notebook)", nb.duration_s)
        failure = ET.SubElement(case, "failure", message=nb.error or "the notebook failed", type="NotebookFailed")
        failure.text = f"at {nb.name}, {nb.where}" if nb.where else nb.error
        tests, failures = tests + 1, failures + 1
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))


def write_junit(report: RunReport, path: Path) -> Path:
    root = ET.Element("testsuites", name=f"keyless {report.mode} on {report.target}")
    for nb in report.notebooks:
        _suite(root, nb)
    for attribute in ("tests", "failures", "errors", "skipped"):
        root.set(attribute, str(sum(int(s.get(attribute, "0")) for s in root)))
    ET.indent(root)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path
