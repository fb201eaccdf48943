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
        kernel.start({**os.environ, "KEYLESS_RUN_TEST": "given"})
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


def test_the_kernels_environment_is_the_runners_with_the_runs_changes_and_an_empty_change_removes_a_name():
    from keyless.runner import _with

    shell = {"PATH": "/bin", "KEYLESS_ATTENDEE": "ann", "EMPTY_BUT_SET": ""}
    assert _with(shell, {"KEYLESS_HEADLESS": "1", "KEYLESS_ATTENDEE": ""}) == \
        {"PATH": "/bin", "EMPTY_BUT_SET": "", "KEYLESS_HEADLESS": "1"}
    assert shell == {"PATH": "/bin", "KEYLESS_ATTENDEE": "ann", "EMPTY_BUT_SET": ""}
