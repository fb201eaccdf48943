"""The run's record: report.json (per notebook and step: status, duration, resources touched)
and the short summary printed at the end. Holds no secret: parameters never do, and step
entries carry ids and names only."""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class NotebookRun:
    name: str
    status: str = "pending"            # passed, failed, skipped
    duration_s: float = 0.0
    output: str = ""
    html: str = ""
    failed_cell: int | None = None     # index in the executed notebook
    failed_cell_id: str | None = None
    error: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def where(self) -> str:
        if self.failed_cell is None:
            return ""
        return f"cell {self.failed_cell}" + (f" (id {self.failed_cell_id})" if self.failed_cell_id else "")


@dataclass
class RunReport:
    target: str
    parameters: dict[str, Any]
    out: str
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

    def finish(self) -> None:
        self.finished_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.status = "failed" if self.failed else "passed"

    def to_json(self) -> dict[str, Any]:
        return {**{k: v for k, v in asdict(self).items() if k != "notebooks"},
                "notebooks": [asdict(n) for n in self.notebooks], "resources_touched": self.touched()}

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return path

    def summary(self) -> str:
        lines = [f"keyless run on {self.target}: {self.status.upper()}  ({self.out})"]
        for nb in self.notebooks:
            lines.append(f"  {nb.status:<7} {nb.name}  {nb.duration_s:.1f}s")
            for step in nb.steps:
                mark = "expected failure" if step.get("expected_failure") else step["status"]
                lines.append(f"            - {step['step']}: {mark}")
            if nb.status == "failed":
                lines.append(f"          FAILED{' at ' + nb.where if nb.where else ''}: {nb.error}")
        return "\n".join(lines)
