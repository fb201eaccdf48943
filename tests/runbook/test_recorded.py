"""The committed notebooks (notebooks/*.ipynb) carry the outputs recorded on the deterministic
emulator (`make record`). nbval replays them strictly (`--nbval`), in file order, against a
fresh emulator and compares every cell's outputs through the library's sanitize file
(keyless.recording.SANITIZE_CONFIG, the one `python -m keyless record` reads too): a change
that re-recording would bring fails here. The recordings are also clean to review (no papermill
or timing metadata, one kernelspec, the generator's cell ids) and hold no secret."""
from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.resources import as_file
from pathlib import Path

import nbformat
import pytest
from secretscan import assert_no_secret, emulator_secrets, pod_logs, text_findings

from keyless.recording import (
    INJECTED_TAG,
    SANITIZE_CONFIG,
    WIDGET_VIEW,
    compared_cells,
    exclusion_reason,
    ignored,
    tags,
)
from keyless_emulator import ControlClient, EmulatorConfig, InProcessEmulator, start_in_thread

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NOTEBOOKS = ROOT / "notebooks"
RUNBOOK = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))  # file order: 00 ... 05, 99
SCRATCH = [NOTEBOOKS / "prerequisites.ipynb", NOTEBOOKS / "teardown.ipynb"]  # from the `empty` scenario
BOOKS = [*RUNBOOK, *SCRATCH]
MIN_COMPARED = 0.80


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def coverage() -> tuple[int, int, str]:
    compared = total = 0
    for path in BOOKS:
        c, t = compared_cells(read(path))
        compared, total = compared + c, total + t
    return compared, total, (f"nbval compared {compared} of {total} code cells with outputs "
                             f"({100 * compared // max(total, 1)}%)")


# ---- the replay ----------------------------------------------------------------------------

@pytest.fixture
def replay_emulator(tmp_path: Path) -> Iterator[InProcessEmulator]:
    """A fresh emulator of its own (deterministic, before-you-begin, with the kubelet) per replay."""
    emu = start_in_thread(EmulatorConfig(home=tmp_path / "replay-home", kubelet=True), write_runtime=True)
    yield emu
    emu.stop()


@pytest.fixture
def empty_emulator(tmp_path: Path) -> Iterator[InProcessEmulator]:
    """A fresh emulator of its own loaded with the `empty` scenario (where prerequisites start)."""
    emu = start_in_thread(EmulatorConfig(home=tmp_path / "empty-home", kubelet=True, scenario="empty"),
                          write_runtime=True)
    yield emu
    emu.stop()


def nbval(home: Path, *books: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYLESS_")}
    env.update(KEYLESS_HOME=str(home), KEYLESS_HEADLESS="1")
    with as_file(SANITIZE_CONFIG) as sanitize:
        return subprocess.run([sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env",
                               "--nbval-sanitize-with", str(sanitize), "-v", "-p", "no:cacheprovider",
                               *map(str, books)],
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_committed_notebooks_replay_identically_in_file_order(replay_emulator, capsys):
    compared, total, line = coverage()
    with capsys.disabled():
        print(f"\n{line}")
    assert total and compared / total >= MIN_COMPARED, line

    replay_in_order(replay_emulator, RUNBOOK)


@pytest.mark.slow
def test_prerequisites_and_teardown_replay_identically_from_the_empty_scenario(empty_emulator):
    replay_in_order(empty_emulator, SCRATCH, pods_remain=False)  # teardown deleted the cluster and its pods


def replay_in_order(emulator: InProcessEmulator, books: list[Path], pods_remain: bool = True) -> None:
    """nbval over `books` in order: every code cell passes, and the notebooks and what the replay left
    (state files, the pods' logs while the cluster remains, the request log) hold no secret."""
    home = Path(emulator.info.home)
    done = nbval(home, *books)
    assert done.returncode == 0, done.stdout[-8000:]
    passed = re.findall(r"^notebooks/([^:\s]+?)(?:\.ipynb|::ipynb)::Cell (\d+) PASSED", done.stdout, re.M)
    order = list(dict.fromkeys(name for name, _ in passed))
    assert order == [b.stem for b in books], done.stdout[-3000:]
    code_cells = sum(1 for b in books for c in read(b).cells if c.cell_type == "code" and "nbval-skip" not in tags(c))
    assert len(passed) == code_cells, done.stdout[-4000:]

    secrets = emulator_secrets(emulator.info)
    logs = pod_logs(home)
    assert bool(logs) == pods_remain and len(list((home / "state").glob("*.json"))) == 1
    assert_no_secret([*books, home / "state", Path(emulator.info.log_file), *logs], secrets)
    requests_log = json.dumps(ControlClient.of(emulator.info).request_log())
    assert not text_findings("the emulator's request log", requests_log, secrets)


@pytest.mark.slow
def test_a_recorded_output_that_would_change_fails_the_replay(replay_emulator, tmp_path):
    """Strict mode: a recorded output that differs from what the notebook now prints is a failure."""
    nb = read(BOOKS[0])
    summary = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("form = "))
    assert "identity:             myIdentity" in summary.outputs[0].text
    summary.outputs[0].text = summary.outputs[0].text.replace("myIdentity", "otherIdentity")
    nbformat.write(nb, tmp_path / BOOKS[0].name)
    done = nbval(Path(replay_emulator.info.home), tmp_path / BOOKS[0].name)
    assert done.returncode == 1, done.stdout[-3000:]
    assert "Cell 2 FAILED" in done.stdout and "reference_output == test_output failed" in done.stdout, \
        done.stdout[-3000:]
    assert "1 failed" in done.stdout and "4 passed" in done.stdout


@pytest.mark.slow
def test_re_recording_changes_no_committed_notebook_beyond_sanitized_fields(executed_run, replay_emulator, tmp_path):
    """What `python -m keyless record` writes: the runbook's notebooks from a run on another fresh
    deterministic emulator (the session's one whole run, tests/runbook/conftest.py), prerequisites and
    teardown from the `empty` scenario as `record` runs them: the same outputs, ports aside, so the
    committed files stay byte for byte (and the recorded run on papermill equals nbval's replay)."""
    import shutil

    import keyless
    from keyless.runner import run, write_recordings

    assert executed_run.done.returncode == 0, executed_run.done.stdout[-3000:] + executed_run.done.stderr[-3000:]
    said: list[str] = []
    scratch = run(keyless.Parameters(data_dir=str(replay_emulator.info.home)), tmp_path / "out-scratch",
                  folder=NOTEBOOKS, echo=said.append, from_scratch=True, runbook=False)
    assert not scratch.failed, scratch.summary()
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for book in BOOKS:
        shutil.copy(book, folder / book.name)
    pairs = [(folder / b.name, executed_run.out) for b in RUNBOOK] + [(folder / b.name, tmp_path / "out-scratch")
                                                                      for b in SCRATCH]
    assert write_recordings(pairs, echo=said.append) == 0, said
    assert {b.name: (folder / b.name).read_text() for b in BOOKS} == {b.name: b.read_text() for b in BOOKS}, said
    assert any("up to date" in line for line in said), said


@pytest.mark.slow
def test_a_failing_notebook_records_nothing(replay_emulator, tmp_path):
    import shutil

    import keyless
    from keyless.runner import record

    folder = tmp_path / "notebooks"
    folder.mkdir()
    for book in BOOKS:
        shutil.copy(book, folder / book.name)
    params = keyless.Parameters(data_dir=str(replay_emulator.info.home), openai_account="missingAccount")
    report = record(params, folder=folder, echo=lambda _line: None)
    assert report.failed and report.failed.name == "00-before-you-begin"
    assert {b.name: (folder / b.name).read_text() for b in BOOKS} == {b.name: b.read_text() for b in BOOKS}


def test_recording_refuses_azure_as_the_target():
    import keyless
    from keyless.runner import record

    with pytest.raises(ValueError, match="deterministic emulator only"):
        record(keyless.Parameters(target="azure"), folder=NOTEBOOKS)


# ---- what the recordings must be -----------------------------------------------------------------

def test_at_least_80_percent_of_the_cells_with_outputs_are_compared():
    compared, total, line = coverage()
    print(line)
    assert total >= len(BOOKS) and compared / total >= MIN_COMPARED, line


@pytest.mark.parametrize("path", BOOKS, ids=lambda p: p.stem)
def test_every_code_cell_is_recorded_without_errors_or_widgets(path):
    code = [c for c in read(path).cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "run `make record`"
    for cell in code:
        kinds = [o.output_type for o in cell.outputs]
        assert "error" not in kinds, f"{cell.id} recorded an error"
        assert not any(WIDGET_VIEW in o.get("data", {}) for o in cell.outputs), f"{cell.id} recorded a widget"
        assert not any(o.get("name") == "stderr" for o in cell.outputs), f"{cell.id} recorded stderr (warnings?)"
    for cell in code[1:]:  # everything after the parameters cell shows its result
        assert cell.outputs, f"{cell.id} has no recorded output"


@pytest.mark.parametrize("path", BOOKS, ids=lambda p: p.stem)
def test_recordings_are_clean_to_review(path):
    nb = read(path)
    text = path.read_text()
    assert nb.metadata.kernelspec.name == "python3"
    assert set(nb.metadata) == {"kernelspec", "language_info"}, "papermill or widget metadata"
    assert nb.metadata.language_info == {"name": "python"}, "interpreter version churn"
    assert '"papermill"' not in text and INJECTED_TAG not in text
    prefix = path.stem.split("-", 1)[0]  # 00, 01, ... or the whole stem (prerequisites, teardown)
    assert [c.id for c in nb.cells] == [f"nb{prefix}-{i:02d}" for i in range(len(nb.cells))]
    for cell in nb.cells:
        assert set(cell.metadata) <= {"tags"}, f"{cell.id}: volatile cell metadata {sorted(cell.metadata)}"
        assert INJECTED_TAG not in tags(cell)


def test_a_cell_excluded_from_comparison_says_why():
    """`nbval-ignore-output` (or skip) only with a comment in the cell explaining the exclusion."""
    for path in BOOKS:
        for cell in read(path).cells:
            if cell.cell_type != "code" or not ignored(cell):
                continue
            assert exclusion_reason(cell), f"{path.name} {cell.id} is excluded from nbval without a comment saying why"


def test_every_sanitizer_is_explained_and_matches_a_recorded_output():
    """The sanitize file only covers what truly varies, so each entry must be in use and commented."""
    config = configparser.ConfigParser()
    text = SANITIZE_CONFIG.read_text()
    config.read_string(text)
    lines = text.splitlines()
    recorded = "\n".join(str(o.get("text", "")) + "\n".join(map(str, o.get("data", {}).values()))
                         for b in BOOKS for c in read(b).cells if c.cell_type == "code" for o in c.outputs)
    assert config.sections()
    for section in config.sections():
        at = lines.index(f"[{section}]")
        assert lines[at - 1].startswith("#"), f"[{section}] has no comment saying why it varies"
        assert re.search(config[section]["regex"], recorded), f"[{section}] matches nothing recorded: drop it"


def test_the_committed_notebooks_hold_no_secret():
    assert assert_no_secret(BOOKS) == len(BOOKS)
