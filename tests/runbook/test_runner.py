"""keyless.runner: how notebooks are executed."""
from __future__ import annotations

import os

import nbformat
import papermill
from nbformat.v4 import new_code_cell, new_notebook


def test_the_runner_talks_to_kernels_over_local_sockets_not_tcp():
    from keyless.runner import _ipc_kernel_manager

    assert _ipc_kernel_manager()().transport == "ipc"


def _notebook(path, *sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_the_notebooks_of_a_run_share_one_kernel_each_in_a_fresh_session(tmp_path):
    """One kernel process for every notebook, yet each executed notebook reads as if it ran alone: an
    empty namespace (nothing left by the notebook before) and execution counts from 1."""
    from keyless.runner import RunKernel

    first = _notebook(tmp_path / "a.ipynb", "import os\nleft_behind = 1", "os.getpid()")
    second = _notebook(tmp_path / "b.ipynb", "import os\n'left_behind' in globals()", "os.getpid()")
    started: list = []
    kernel = RunKernel(started, tmp_path)
    work = tmp_path / "work"  # the kernel runs elsewhere than the runner: its sockets are found all the same
    work.mkdir()
    try:
        done = [papermill.execute_notebook(str(book), str(tmp_path / f"out-{book.name}"), kernel_name="python3",
                                           progress_bar=False, cwd=str(work), km=kernel.next_notebook())
                for book in (first, second)]
    finally:
        kernel.shutdown()
    assert len(started) == 1 and not kernel.manager.has_kernel
    pids = [nb.cells[1].outputs[0]["data"]["text/plain"] for nb in done]
    assert pids[0] == pids[1]
    assert done[1].cells[0].outputs[0]["data"]["text/plain"] == "False"
    assert [[c.execution_count for c in nb.cells] for nb in done] == [[1, 2], [1, 2]]


def test_a_kernel_started_ahead_reads_to_its_first_notebook_as_a_kernel_of_its_own(tmp_path):
    """`RunKernel.start` boots the run's kernel, with the environment it is given, and has it import the SDKs
    before the first notebook; `enter` then moves it to the run's folder (the kernel starts before that
    folder may be written). The first notebook sees the same names, execution counts and working folder as
    in a kernel papermill starts for it alone, and its imports are already loaded. Two kernels: nothing
    cheaper shows a kernel's own view of its namespace."""
    from keyless.runner import RunKernel

    book = _notebook(tmp_path / "a.ipynb", "sorted(k for k in globals() if not k.startswith('_'))",
                     "import os, sys\nf\"{os.getcwd()}|{'azure.mgmt.containerservice' in sys.modules}|\"",
                     "os.environ.get('KEYLESS_RUN_TEST', '')")
    work = tmp_path / "work"
    work.mkdir()
    sockets = tmp_path / "sockets"
    sockets.mkdir()
    alone = papermill.execute_notebook(str(book), str(tmp_path / "alone.ipynb"), kernel_name="python3",
                                       progress_bar=False, cwd=str(work))
    kernel = RunKernel([], sockets)
    try:
        kernel.start({**os.environ, "KEYLESS_RUN_TEST": "given"}, [book])
        kernel.enter(work)
        ahead = papermill.execute_notebook(str(book), str(tmp_path / "ahead.ipynb"), kernel_name="python3",
                                           progress_bar=False, cwd=str(work), km=kernel.next_notebook())
    finally:
        kernel.shutdown()
    text = [[c.outputs[0]["data"]["text/plain"] for c in nb.cells] for nb in (alone, ahead)]
    assert text[0][0] == text[1][0]
    # one string, not a tuple: IPython wraps a tuple's repr past 79 characters, a long tmp path included
    assert text[0][1] == repr(f"{work}|False|") and text[1][1] == repr(f"{work}|True|")
    assert text[0][2] == repr("") and text[1][2] == repr("given")   # the environment `start` was given
    assert "KEYLESS_RUN_TEST" not in os.environ
    assert [c.execution_count for c in ahead.cells] == [1, 2, 3]


def test_the_kernel_preloads_the_openai_client_only_for_a_run_whose_notebooks_call_its_step(tmp_path):
    """An import nobody uses would hold the kernel's interpreter lock while the cells run: the Azure OpenAI client
    is preloaded for a run that calls `rb.disable_key_access()` (notebook 06), not for one that stops at 05."""
    import subprocess
    import sys

    from keyless.runner import CALL, notebooks_dir

    def methods(*names):
        return sorted({m for n in names for m in CALL.findall(next(notebooks_dir().glob(f"{n}-*.ipynb")).read_text())})

    def preloaded(called):
        code = ("import sys; from keyless.notebook import preload; "
                f"preload(methods={called!r}); print(sorted(m for m in ('openai', 'kubernetes') if m in sys.modules))")
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()

    assert "disable_key_access" in methods("05", "06") and "disable_key_access" not in methods("04", "05")
    assert preloaded(methods("04", "05")) == "['kubernetes']"
    assert preloaded(methods("05", "06")) == "['kubernetes', 'openai']"


def test_the_kernels_environment_is_the_runners_with_the_runs_changes_and_an_empty_change_removes_a_name():
    from keyless.runner import _with

    shell = {"PATH": "/bin", "KEYLESS_ATTENDEE": "ann", "EMPTY_BUT_SET": ""}
    assert _with(shell, {"KEYLESS_HEADLESS": "1", "KEYLESS_ATTENDEE": ""}) == \
        {"PATH": "/bin", "EMPTY_BUT_SET": "", "KEYLESS_HEADLESS": "1"}
    assert shell == {"PATH": "/bin", "KEYLESS_ATTENDEE": "ann", "EMPTY_BUT_SET": ""}


def _on_disk(executed):
    """A cell that says what the executed notebook holds on disk while it runs."""
    return f"open({str(executed)!r}).read().count('written-by-' + 'cell-1')"  # (not in any source)


def test_the_runs_engine_writes_the_executed_notebook_at_its_start_and_end_not_twice_per_cell(tmp_path):
    """Papermill's own engine writes the executed notebook as each cell starts and ends; the run's engine
    writes it when the notebook starts and ends (and between, at most every SAVE_EVERY seconds), so while
    cell 3 runs, cell 1's output is not on disk yet; at the end all of it is."""
    from keyless.engine import register

    def run(name, **engine):
        executed = tmp_path / f"{name}.ipynb"
        book = _notebook(tmp_path / f"{name}-in.ipynb", "print('written-by-' + 'cell-1')", "1 + 1", _on_disk(executed))
        papermill.execute_notebook(str(book), str(executed), kernel_name="python3", progress_bar=False, **engine)
        return nbformat.read(executed, as_version=4)

    plain, ours = run("plain"), run("ours", engine_name=register())
    assert plain.cells[2].outputs[0]["data"]["text/plain"] == "1"
    assert ours.cells[2].outputs[0]["data"]["text/plain"] == "0"
    assert ours.cells[0].outputs[0]["text"] == "written-by-cell-1\n"
    assert [c.metadata.papermill["status"] for c in ours.cells] == ["completed"] * 3


def test_the_runs_engine_writes_again_once_save_every_has_passed(tmp_path, monkeypatch):
    from keyless import engine

    monkeypatch.setattr(engine, "SAVE_EVERY", 0.2)
    executed = tmp_path / "out.ipynb"
    book = _notebook(tmp_path / "a.ipynb", "print('written-by-' + 'cell-1')", "import time; time.sleep(0.3)",
                     _on_disk(executed))
    done = papermill.execute_notebook(str(book), str(executed), kernel_name="python3", progress_bar=False,
                                      engine_name=engine.register())
    assert done.cells[2].outputs[0]["data"]["text/plain"] == "1"  # cell 3's start was written: 0.3 s had passed


def test_the_runs_engine_writes_the_executed_notebook_when_the_kernel_dies_mid_notebook(tmp_path):
    from keyless.engine import register

    executed = tmp_path / "out.ipynb"
    book = _notebook(tmp_path / "a.ipynb", "print('written-by-' + 'cell-1')", "import os; os._exit(3)", "1")
    try:
        papermill.execute_notebook(str(book), str(executed), kernel_name="python3", progress_bar=False,
                                   engine_name=register())
    except Exception as e:  # noqa: BLE001 - the kernel's death, however nbclient words it
        died = type(e).__name__
    else:
        died = ""
    assert died == "DeadKernelError"
    cells = nbformat.read(executed, as_version=4).cells
    assert cells[0].outputs[0]["text"] == "written-by-cell-1\n"
    assert [bool(c.metadata.papermill["start_time"]) for c in cells] == [True, True, False]  # where it died
