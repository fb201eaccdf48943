"""keyless.rendering: the run's HTML renderings, made in a process beside the runner."""
from __future__ import annotations

import nbformat
from kit import wait_for
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def test_each_notebook_handed_over_comes_back_rendered_or_with_the_reason_it_could_not_be(tmp_path):
    from keyless.rendering import Renderer

    book = tmp_path / "01-a.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# Enable it"), new_code_cell("rb.step()")]), book)
    missing = tmp_path / "02-missing.ipynb"
    renderer = Renderer()
    renderer.submit(book)
    renderer.submit(missing)
    pages = renderer.results()
    assert pages[str(book)] == str(tmp_path / "01-a.html")
    assert "Enable it" in (tmp_path / "01-a.html").read_text()
    assert str(pages[str(missing)]).startswith("FileNotFoundError: [Errno 2] No such file or directory")


def test_nothing_handed_over_starts_no_process():
    from keyless.rendering import Renderer

    renderer = Renderer()
    assert renderer.results() == {} and renderer._proc is None


def test_a_process_started_and_handed_nothing_is_ended_not_waited_for():
    from keyless.rendering import Renderer

    renderer = Renderer()
    renderer.start()
    assert renderer.results() == {} and renderer._proc is not None and renderer._proc.returncode is not None


def test_the_renderer_runs_below_the_runners_priority_and_ends_with_its_answers(tmp_path):
    """Its start (imports, templates) overlaps the kernel's boot, which the run waits for: it yields the CPU."""
    import os

    from keyless.rendering import Renderer

    book = tmp_path / "01-a.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("1")]), book)
    renderer = Renderer()
    renderer.submit(book)  # the process waits for more until `results` closes its input
    assert renderer._proc is not None
    pid, wanted = renderer._proc.pid, os.getpriority(os.PRIO_PROCESS, 0) + 10
    # (it lowers its own priority first thing, a moment after it starts)
    wait_for(lambda: os.getpriority(os.PRIO_PROCESS, pid) == wanted, 30, "the renderer's lower priority")
    assert renderer.results() == {str(book): str(tmp_path / "01-a.html")}
    assert renderer._proc.returncode == 0
