"""The run's record: report.json (per notebook and step: status, duration, checks, resources
touched), its JSON Schema (`report.schema.json`, shipped with the package, versioned by
`schema_version`), the lines a pipeline's log shows per step, and the short summary printed at
the end. Holds no secret: parameters never do, and step entries carry ids and names only."""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

# Raise it when a field changes meaning or disappears; adding an optional field keeps it.
SCHEMA_VERSION = "1.0"
SCHEMA_FILE = "report.schema.json"
MODES = ("run", "plan", "check")


def schema() -> dict[str, Any]:
    """The JSON Schema report.json follows (package data, so it ships with the wheel)."""
    loaded: dict[str, Any] = json.loads(resources.files("keyless").joinpath(SCHEMA_FILE).read_text())
    return loaded


def unexpected(step: dict[str, Any]) -> bool:
    """A step entry that fails the run: a failure, or an exercise's expected failure that passed."""
    if step.get("expected_failure"):
        return step.get("status") not in ("failed", "skipped")
    return step.get("status") == "failed"


def step_lines(step: dict[str, Any]) -> list[str]:
    """What a pipeline's log shows for one step as it finishes: its status and summary; a failure's
    failing checks with their fix and what to do; a plan's changes."""
    mark = "expected failure" if step.get("expected_failure") and step.get("status") == "failed" else step["status"]
    lines = [f"  - {step['step']}: {mark} - {step.get('summary', '')}"]
    if unexpected(step):
        for check in step.get("checks", []):
            if not check.get("ok"):
                lines.append(f"      [FAIL] {check['name']}" + (f": {check['detail']}" if check.get("detail") else ""))
                if check.get("hint"):
                    lines.append(f"             fix: {check['hint']}")
        if step.get("hint"):
            lines.append(f"      what to do: {step['hint']}")
    lines += [f"      would: {change}" for change in step.get("changes", [])]
    return lines


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("keyless")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


@dataclass
class NotebookRun:
    name: str
    status: str = "pending"            # passed, failed, skipped
    duration_s: float = 0.0
    output: str | None = None          # the executed notebook (None: not executed)
    html: str | None = None            # its HTML rendering (None: not rendered)
    failed_cell: int | None = None     # index of the failing cell in the runbook's notebook
    failed_cell_id: str | None = None
    failed_step: str | None = None     # the step that failed in that cell (None: the cell ran no step)
    error: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def where(self) -> str:
        if self.failed_cell is None and self.failed_cell_id is None:
            return ""
        text = f"cell {self.failed_cell}" if self.failed_cell is not None else "cell"
        text += f" (id {self.failed_cell_id})" if self.failed_cell_id else ""
        return text + (f", step {self.failed_step}" if self.failed_step else "")

    def planned(self) -> list[str]:
        return [change for s in self.steps if s.get("status") == "planned" for change in s.get("changes", [])]


@dataclass
class RunReport:
    target: str
    parameters: dict[str, Any]
    out: str
    mode: str = "run"                  # run, plan (dry run), check (dry run, drift is an exit status)
    started_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    finished_at: str = ""
    status: str = "running"
    notebooks: list[NotebookRun] = field(default_factory=list)

    @property
    def failed(self) -> NotebookRun | None:
        return next((n for n in self.notebooks if n.status == "failed"), None)

    def touched(self) -> list[str]:
        seen: list[str] = []
        for nb in self.notebooks:
            for step in nb.steps:
                for t in step.get("touched", []):
                    if t not in seen:
                        seen.append(t)
        return seen

    def drift(self) -> list[str]:
        """Every change a dry run found (empty after a run that left nothing to do)."""
        return [f"{nb.name}: {change}" for nb in self.notebooks for change in nb.planned()]

    def finish(self) -> None:
        self.finished_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.status = "failed" if self.failed else "passed"

    def to_json(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "keyless_version": _version(),
                **{k: v for k, v in asdict(self).items() if k != "notebooks"},
                "notebooks": [asdict(n) for n in self.notebooks], "resources_touched": self.touched(),
                "changes_planned": self.drift() if self.mode != "run" else []}

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return path

    def summary(self) -> str:
        lines = [f"keyless {self.mode} on {self.target}: {self.status.upper()}  ({self.out})"]
        for nb in self.notebooks:
            lines.append(f"  {nb.status:<7} {nb.name}  {nb.duration_s:.1f}s")
            for step in nb.steps:
                expected = step.get("expected_failure") and step["status"] == "failed"
                mark = "expected failure" if expected else step["status"]
                lines.append(f"            - {step['step']}: {mark}")
            if nb.status == "failed":
                lines.append(f"          FAILED{' at ' + nb.where if nb.where else ''}: {nb.error}")
        if self.mode != "run":
            changes = self.drift()
            lines.append(f"{len(changes)} change(s) planned" + (":" if changes else " - the environment matches"))
            lines += [f"  - {change}" for change in changes]
        return "\n".join(lines)
