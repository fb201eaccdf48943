"""The committed notebooks carry their expected outputs: sources exactly as keyless.authoring
writes them from their text sources, plus the outputs and execution counts of one headless run on
the deterministic emulator (`python -m keyless record`). nbval replays them and compares every output.

Only what a reader should see is kept: no papermill metadata, no injected-parameters cell, no
execution timestamps, no widget state, the generator's notebook metadata (kernelspec `python3`).
"""
from __future__ import annotations

import configparser
import copy
import re
from collections.abc import Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

INJECTED_TAG = "injected-parameters"
VOLATILE_CELL_METADATA = ("papermill", "execution", "collapsed", "scrolled")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# nbval's sanitizers (--nbval-sanitize-with), package data next to this module: the replay test hands
# this file to nbval, and `record` leaves a notebook alone when only these fields would change.
SANITIZE_CONFIG: Traversable = files("keyless") / "sanitize.cfg"


class RecordingError(RuntimeError):
    """The executed notebook does not fit its source (a cell missing, a widget in the output)."""


def tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def sanitizers(cfg: Traversable | None) -> list[tuple[re.Pattern[str], str]]:
    """The (regex, replacement) pairs of an nbval sanitize file (none if there is no file)."""
    if cfg is None or not cfg.is_file():
        return []
    parser = configparser.ConfigParser()
    parser.read_string(cfg.read_text())
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def sanitize(text: str, subs: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, replacement in subs:
        text = pattern.sub(replacement, text)
    return text


def write(nb: Any, path: Path, subs: Sequence[tuple[re.Pattern[str], str]] = ()) -> bool:
    """Write the notebook the one way keyless.authoring and record do (stable bytes); True if it changed.
    A notebook that differs from the file only where `subs` (nbval's sanitizers) apply is not
    rewritten, so re-recording does not churn ports into the diff."""
    import nbformat

    nbformat.validate(nb)
    text = nbformat.writes(nb) + "\n"
    if path.exists():
        old = path.read_text()
        if old == text or (subs and sanitize(old, list(subs)) == sanitize(text, list(subs))):
            return False
    path.write_text(text)
    return True


def _clean_output(output: Any, where: str) -> Any:
    out = copy.deepcopy(output)
    if WIDGET_VIEW in out.get("data", {}):
        raise RecordingError(f"{where}: a widget was displayed while recording; headless runs must print plain "
                             "text (nbval cannot compare widgets)")
    out.pop("transient", None)
    return out


def coalesce_streams(outputs: list[Any]) -> list[Any]:
    """Adjacent stream outputs of the same stream joined into one, as front ends and nbval show them: how
    one print reaches the notebook in chunks (its text and its newline apart, or together) depends on
    the kernel's timing, so two correct recordings would otherwise differ."""
    out: list[Any] = []
    for o in outputs:
        if (o.get("output_type") == "stream" and out and out[-1].get("output_type") == "stream"
                and out[-1].get("name") == o.get("name")):
            joined = copy.deepcopy(out[-1])
            joined["text"] = "".join(out[-1]["text"]) + "".join(o["text"])
            out[-1] = joined
        else:
            out.append(o)
    return out


def with_outputs(source: Any, executed: Any) -> Any:
    """`source` (the generator's notebook) with each code cell's outputs from `executed` (matched by
    cell id). Execution counts are numbered 1..n in order, as a reader running all cells would see."""
    ran = {c.get("id"): c for c in executed.cells if INJECTED_TAG not in tags(c)}
    recorded = copy.deepcopy(source)
    count = 0
    for cell in recorded.cells:
        if cell.cell_type != "code":
            continue
        match = ran.get(cell.get("id"))
        if match is None or match.get("execution_count") is None:
            raise RecordingError(f"cell {cell.get('id')} was not executed in the recorded run")
        if match.source != cell.source:
            raise RecordingError(f"cell {cell.get('id')}: the executed source differs from the notebook's")
        count += 1
        cell.execution_count = count
        cell.outputs = coalesce_streams([_clean_output(o, f"cell {cell.get('id')}") for o in match.get("outputs", [])])
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    return recorded


def keep_outputs(generated: Any, existing: Any) -> Any:
    """The generator's notebook keeping the recorded outputs of every code cell whose id and source
    are unchanged (a changed cell loses its outputs: it has to be recorded again)."""
    old = {c.get("id"): c for c in existing.cells if c.cell_type == "code"}
    merged = copy.deepcopy(generated)
    for cell in merged.cells:
        prev = old.get(cell.get("id"))
        if cell.cell_type == "code" and prev is not None and prev.source == cell.source:
            cell.outputs = copy.deepcopy(prev.get("outputs", []))
            cell.execution_count = prev.get("execution_count")
    return merged


def compared_cells(nb: Any) -> tuple[int, int]:
    """(compared, with outputs): code cells with outputs, and those nbval --nbval compares
    (executed, not tagged or marked to ignore their output or to be skipped)."""
    with_out = [c for c in nb.cells if c.cell_type == "code" and c.get("outputs")]
    return sum(1 for c in with_out if c.get("execution_count") is not None and not ignored(c)), len(with_out)


IGNORE_TAGS = ("nbval-ignore-output", "nbval-skip", "pytest-validate-ignore-output")
IGNORE_MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP", "PYTEST_VALIDATE_IGNORE_OUTPUT")


def ignored(cell: Any) -> bool:
    """nbval's own rule: a tag, or a comment line holding only the marker, anywhere in the cell."""
    markers = {line.strip().lstrip("#").strip() for line in cell.source.splitlines() if line.strip().startswith("#")}
    return any(t in tags(cell) for t in IGNORE_TAGS) or bool(markers & set(IGNORE_MARKERS))


def exclusion_reason(cell: Any) -> str:
    """The comment in the cell that says why it is excluded from comparison ('' when there is none)."""
    reasons = [line.strip().lstrip("#").strip() for line in cell.source.splitlines() if line.strip().startswith("#")]
    return " ".join(r for r in reasons if r and r not in IGNORE_MARKERS)
