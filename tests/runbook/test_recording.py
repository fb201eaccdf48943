"""keyless.recording without a kernel: outputs merged into the generator's sources, the
injected-parameters cell and volatile metadata dropped, widgets refused, and a re-recording that
differs only in sanitized fields (ports) leaves the committed file alone."""
from __future__ import annotations

import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from keyless.recording import RecordingError, exclusion_reason, ignored, keep_outputs, with_outputs, write


def source_notebook():
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                                "language_info": {"name": "python"}})
    nb.cells = [new_markdown_cell("# T", id="nb07-00"), new_code_cell("x = 1", id="nb07-01"),
                new_code_cell("print(x)", id="nb07-02")]
    nb.cells[1].metadata["tags"] = ["parameters"]
    return nb


def executed_notebook(text="1\n"):
    nb = source_notebook()
    injected = new_code_cell("x = 1\n", id="papermill-injected")
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(2, injected)
    nb.metadata["papermill"] = {"duration": 1.2}
    for count, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = count + 1
        cell.metadata["papermill"] = {"duration": 0.1}
        cell.metadata["execution"] = {"iopub.execute_input": "2026-11-28T14:00:00Z"}
    nb.cells[3].outputs = [new_output("stream", name="stdout", text=text)]
    return nb


def test_outputs_go_into_the_generators_sources_and_counts_run_one_to_n():
    recorded = with_outputs(source_notebook(), executed_notebook())
    assert [c.id for c in recorded.cells] == ["nb07-00", "nb07-01", "nb07-02"]
    assert [c.execution_count for c in recorded.cells[1:]] == [1, 2]
    assert recorded.cells[2].outputs[0].text == "1\n"
    assert recorded.metadata == source_notebook().metadata
    assert all(set(c.metadata) <= {"tags"} for c in recorded.cells)
    nbformat.validate(recorded)


def test_a_cell_the_run_did_not_execute_or_whose_source_differs_is_refused():
    executed = executed_notebook()
    executed.cells[3].execution_count = None
    with pytest.raises(RecordingError, match="nb07-02 was not executed"):
        with_outputs(source_notebook(), executed)
    executed = executed_notebook()
    executed.cells[3].source = "print(x + 1)"
    with pytest.raises(RecordingError, match="nb07-02: the executed source differs"):
        with_outputs(source_notebook(), executed)


def test_a_displayed_widget_is_refused():
    executed = executed_notebook()
    executed.cells[3].outputs = [new_output("display_data", data={
        "text/plain": "HTML(value='')", "application/vnd.jupyter.widget-view+json": {"model_id": "abc"}})]
    with pytest.raises(RecordingError, match="nb07-02: a widget was displayed"):
        with_outputs(source_notebook(), executed)


def test_rewriting_only_sanitized_differences_keeps_the_committed_file(tmp_path):
    path = tmp_path / "nb.ipynb"
    subs = [(re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT")]
    assert write(with_outputs(source_notebook(), executed_notebook("at 127.0.0.1:4000\n")), path, subs)
    committed = path.read_text()
    assert not write(with_outputs(source_notebook(), executed_notebook("at 127.0.0.1:5000\n")), path, subs)
    assert path.read_text() == committed
    assert write(with_outputs(source_notebook(), executed_notebook("at 127.0.0.1:5000 now\n")), path, subs)
    assert "5000 now" in path.read_text()


def test_keeping_outputs_is_per_unchanged_cell():
    recorded = with_outputs(source_notebook(), executed_notebook())
    assert keep_outputs(source_notebook(), recorded).cells == recorded.cells
    changed = source_notebook()
    changed.cells[2].source = "print(x, x)"
    kept = keep_outputs(changed, recorded)
    assert kept.cells[2].outputs == [] and kept.cells[2].execution_count is None
    assert kept.cells[1].execution_count == 1


@pytest.mark.parametrize("source, tags, excluded", [
    ("print(1)", [], False),
    ("# NBVAL_IGNORE_OUTPUT\nprint(1)", [], True),
    ("print(1)\n## NBVAL_SKIP", [], True),
    ("print(1)", ["nbval-ignore-output"], True),
    ("print(1)  # NBVAL_IGNORE_OUTPUT is mentioned, not a marker", [], False),
])
def test_excluded_cells_follow_nbvals_rule(source, tags, excluded):
    cell = new_code_cell(source)
    cell.metadata["tags"] = tags
    assert ignored(cell) is excluded


def test_an_exclusion_needs_a_comment_beyond_the_marker():
    bare = new_code_cell("# NBVAL_IGNORE_OUTPUT\nrb.verify()")
    assert exclusion_reason(bare) == ""
    tagged = new_code_cell("rb.verify()")
    tagged.metadata["tags"] = ["nbval-ignore-output"]
    assert exclusion_reason(tagged) == ""
    explained = new_code_cell("# the answer names this machine's Python version\nrb.verify()")
    explained.metadata["tags"] = ["nbval-ignore-output"]
    assert exclusion_reason(explained) == "the answer names this machine's Python version"


def test_checked_text_never_goes_through_an_output_widget_or_clear_output():
    """nbval ignores widget comms and clear_output: text routed that way would differ between the
    recording (papermill) and the replay (nbval), so the library never does it."""
    import ast
    from pathlib import Path

    lib = Path(__file__).resolve().parents[2] / "lib" / "keyless"
    offenders = []
    for path in lib.rglob("*.py"):
        if "emulator" in path.relative_to(lib).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
            if name in ("Output", "clear_output", "update_display"):
                offenders.append(f"{path.name}:{node.lineno} {name}")
            if isinstance(node, ast.ImportFrom) and any(a.name in ("Output", "clear_output") for a in node.names):
                offenders.append(f"{path.name}:{node.lineno} import")
    assert offenders == []


def test_adjacent_stream_chunks_are_recorded_as_one_output():
    """One print may reach the notebook as one or two stream messages (the kernel's timing); the recording
    is the same either way. Streams of another name, or separated by a result, stay apart."""
    from keyless.recording import coalesce_streams

    chunks = [new_output("stream", name="stdout", text="deleted"), new_output("stream", name="stdout", text="\n"),
              new_output("stream", name="stdout", text="next\n"), new_output("stream", name="stderr", text="warn\n"),
              new_output("display_data", data={"text/plain": "result"}),
              new_output("stream", name="stderr", text="after\n")]
    merged = coalesce_streams(chunks)
    assert [(o.output_type, o.get("name"), o.get("text")) for o in merged] == [
        ("stream", "stdout", "deleted\nnext\n"), ("stream", "stderr", "warn\n"), ("display_data", None, None),
        ("stream", "stderr", "after\n")]
    assert chunks[0].text == "deleted"  # the executed notebook is not changed
