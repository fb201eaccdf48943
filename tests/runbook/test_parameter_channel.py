"""One parameter channel: a value set in a notebook's form is saved beside the state files (never a
secret) and every later notebook uses it; precedence is injected by papermill > the notebook's own
parameters cell > saved > defaults; the first output says where each non-default value came from."""
from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

import keyless
from keyless.params import INJECTED, NOTEBOOK, SAVED, from_notebook, saved_path


def notebook_globals(data_dir: str, injected: str = "", **cell: object) -> dict[str, object]:
    """What a kernel holds after the parameters cell (defaults, or edited) and papermill's injected cell."""
    defaults = {name: getattr(keyless.Parameters(), name) for name in ("identity", "namespace", "target")}
    ns: dict[str, object] = {**defaults, "data_dir": data_dir, **cell, "In": ["", "identity = 'myIdentity'"]}
    if injected:
        ns["In"].append("# Parameters\n" + injected)  # type: ignore[union-attr]
        exec(injected, {}, ns)
    return ns


def without_data_dir(sources: dict[str, str]) -> dict[str, str]:
    """The tests set data_dir in the cell (a temporary folder); the first output leaves it out."""
    return {k: v for k, v in sources.items() if k != "data_dir"}


def test_form_values_are_saved_and_used_by_the_next_notebook(rb, tmp_path):
    rb.interactive = True
    form = rb.form()
    form.fields["identity"].value = "learnerIdentity"
    form.fields["service_account"].value = "learner-sa"
    assert rb.apply(form) is rb and rb.params.identity == "learnerIdentity"
    saved = saved_path(rb.params.home, "emulator")
    assert json.loads(saved.read_text())["identity"] == "learnerIdentity"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert not set(json.loads(saved.read_text())) & {"data_dir", "target", "cloud", "dry_run"}
    # notebook 02 in a new kernel: its parameters cell holds the defaults
    later = keyless.init(notebook_globals(str(rb.params.home)), emulator=rb.clients.emulator)
    assert (later.params.identity, later.params.service_account) == ("learnerIdentity", "learner-sa")
    assert later.params.subject == "system:serviceaccount:default:learner-sa"
    assert repr(later).splitlines()[1:] == ["  parameters not at their defaults:",
                                            f"    identity = learnerIdentity ({SAVED})",
                                            f"    service_account = learner-sa ({SAVED})"]
    assert later.create_managed_identity()["identity"] == "learnerIdentity"


def test_injected_beats_the_cell_which_beats_saved(tmp_path):
    home = tmp_path / "data"
    saved = saved_path(home, "emulator")
    saved.parent.mkdir(parents=True)
    saved.write_text(json.dumps({"identity": "savedIdentity", "namespace": "saved-ns"}))
    params, sources = from_notebook(notebook_globals(str(home)))
    assert (params.identity, params.namespace) == ("savedIdentity", "saved-ns")
    # papermill injects the default itself: injected still wins over saved
    params, sources = from_notebook(notebook_globals(str(home), injected="identity = 'myIdentity'\n"))
    assert (params.identity, params.namespace) == ("myIdentity", "saved-ns")
    assert without_data_dir(sources) == {"namespace": SAVED}
    params, sources = from_notebook(notebook_globals(str(home), injected="identity = 'pipelineIdentity'\n"))
    assert sources["identity"] == INJECTED and params.identity == "pipelineIdentity"
    params, sources = from_notebook(notebook_globals(str(home), namespace="cell-ns"))
    assert (params.namespace, sources["namespace"]) == ("cell-ns", NOTEBOOK)


def test_running_the_notebooks_own_parameters_cell_injects_nothing(tmp_path):
    """In JupyterLab the learner runs the parameters cell itself; its first line, "# Parameters (papermill
    injects overrides below this cell; ...)", is not papermill's injected cell, so the saved form values
    still apply (found by the browser suite: 02 created myIdentity after 00's form said otherwise)."""
    import nbformat

    home = tmp_path / "data"
    saved = saved_path(home, "emulator")
    saved.parent.mkdir(parents=True)
    saved.write_text(json.dumps({"identity": "savedIdentity"}))
    notebook = nbformat.read(Path(__file__).parents[2] / "notebooks" / "02-create-managed-identity.ipynb", as_version=4)
    cell = next(c.source for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    ns = notebook_globals(str(home))
    ns["In"] = ["", cell]
    params, sources = from_notebook(ns)
    assert (params.identity, sources["identity"]) == ("savedIdentity", SAVED)


def test_a_broken_or_secret_bearing_saved_file_is_ignored(tmp_path):
    home = tmp_path / "data"
    saved = saved_path(home, "emulator")
    saved.parent.mkdir(parents=True)
    for content in ("{not json", json.dumps({"identity": "bad name!"}), json.dumps({"client_secret": "x"})):
        saved.write_text(content)
        params, sources = from_notebook(notebook_globals(str(home)))
        assert params.identity == "myIdentity" and without_data_dir(sources) == {}


def test_an_invalid_form_value_is_a_short_failed_result_nothing_saved(rb):
    rb.interactive = True
    rb.raise_on_failure = False
    form = rb.form()
    form.fields["identity"].value = "not valid!"
    result = rb.apply(form)
    assert result.status == "failed" and result.get("error") == "InvalidParameter"
    assert result.summary.startswith("parameter 'identity' = 'not valid!' is not valid: ")
    assert "correct it in the form above" in result.hint and "Traceback" not in repr(result)
    assert not saved_path(rb.params.home, "emulator").exists() and rb.params.identity == "myIdentity"
    rb.raise_on_failure = True
    with pytest.raises(keyless.StepFailed):
        rb.apply(form)
