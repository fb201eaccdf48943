"""The library's small parts without a target: results, state file, errors, targets' choices,
widgets driven by setting values, the notebooks' structure and the layer rules."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import keyless
from keyless.errors import KeylessError, explain, scrub
from keyless.results import Check, StepResult
from keyless.statefile import StateFile
from keyless.steps.deploy import KEY_VARIABLES, RESTORE_MARKER, differences, rollout_complete, without_secrets
from keyless.targets import choose_subscription
from secretscan import jwt_shaped

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "lib" / "keyless"
NOTEBOOKS = ROOT / "notebooks"


# ---- results ------------------------------------------------------------------------------------

def test_result_repr_is_plain_stable_text_with_the_equivalent_command():
    r = StepResult("create-managed-identity", "created", "created the identity myIdentity",
                   values={"client_id": "c1"}, command="az identity create -g rg -n myIdentity")
    assert repr(r) == ("create-managed-identity: created - created the identity myIdentity\n"
                       "  client_id: c1\n  equivalent:\n    az identity create -g rg -n myIdentity")
    assert repr(r) == repr(StepResult(**{**r.__dict__}))
    html = r._repr_html_()
    assert "<pre>az identity create -g rg -n myIdentity</pre>" in html and "created" in html


def test_a_failing_check_makes_the_result_not_ok_and_shows_the_fix():
    r = StepResult("verify", "ok", "x", checks=[Check("pod ready", False, "Pending", "kubectl describe pod")])
    assert not r.ok
    assert "[FAIL] pod ready: Pending\n       fix: kubectl describe pod" in repr(r)
    assert r.to_json()["status"] == "failed"


# ---- state file ---------------------------------------------------------------------------------

def test_state_file_survives_a_restart_and_keeps_the_first_original(tmp_path):
    s = StateFile.for_environment(tmp_path, "emulator", "SUB", "myResourceGroup")
    s.remember(cluster="c")
    s.record_created("identity", "/id")
    s.record_original("deployment", {"v": 1})
    s.record_original("deployment", {"v": 2})
    again = StateFile.for_environment(tmp_path, "emulator", "SUB", "myResourceGroup")
    assert again.discovered["cluster"] == "c" and again.created == {"identity": "/id"}
    assert again.original["deployment"] == {"v": 1}
    assert again.path.name == "emulator-sub-myresourcegroup.json"
    assert oct(again.path.stat().st_mode & 0o777) == "0o600"


def test_state_files_are_per_environment(tmp_path):
    a = StateFile.for_environment(tmp_path, "azure", "s1", "rg")
    b = StateFile.for_environment(tmp_path, "azure", "s2", "rg")
    a.record_created("identity", "/x")
    assert b.created == {} and a.path != b.path


def test_recorded_deployment_holds_no_key_and_differences_are_named():
    dep = {"metadata": {"name": "ai-service", "uid": "u", "resourceVersion": "7"},
           "spec": {"replicas": 1, "template": {"metadata": {"labels": {"app": "ai-service"}}, "spec": {
               "containers": [{"name": "ai-service", "env": [{"name": "OPENAI_API_KEY", "value": "sk-123"},
                                                             {"name": "USE_AZURE_OPENAI", "value": "True"}]}]}}},
           "status": {"replicas": 1}}
    clean = without_secrets(dep)
    assert "sk-123" not in json.dumps(clean) and RESTORE_MARKER in json.dumps(clean)
    assert "status" not in clean and "uid" not in clean["metadata"]
    found = {"openai_deployment": "gpt", "openai_endpoint": "https://x/"}
    diff = differences(dep, keyless.Parameters(), found)
    assert diff == ["pod label azure.workload.identity/use=true", "serviceAccountName ai-service-account",
                    "env USE_AZURE_AD", "env AZURE_OPENAI_DEPLOYMENT_NAME", "env AZURE_OPENAI_ENDPOINT",
                    "remove env OPENAI_API_KEY"]
    assert set(KEY_VARIABLES) == {"OPENAI_API_KEY", "AZURE_OPENAI_API_KEY"}


def test_rollout_is_complete_only_when_old_pods_are_gone():
    base = {"metadata": {"generation": 2}, "spec": {"replicas": 1}}
    assert not rollout_complete({**base, "status": {"observedGeneration": 1, "updatedReplicas": 1, "readyReplicas": 1,
                                                    "availableReplicas": 1, "replicas": 1}})[0]
    assert not rollout_complete({**base, "status": {"observedGeneration": 2, "updatedReplicas": 1, "readyReplicas": 2,
                                                    "availableReplicas": 2, "replicas": 2}})[0]
    assert rollout_complete({**base, "status": {"observedGeneration": 2, "updatedReplicas": 1, "readyReplicas": 1,
                                                "availableReplicas": 1, "replicas": 1}})[0]


# ---- errors ------------------------------------------------------------------------------------

def test_tokens_are_scrubbed_from_messages():
    jwt = jwt_shaped({"sub": "x"})
    assert "eyJ" not in scrub(f"bad token {jwt} here")
    assert "eyJ" not in str(KeylessError(f"x {jwt}"))


def test_aadsts_errors_get_the_federation_advice():
    from azure.core.exceptions import ClientAuthenticationError
    e = explain(ClientAuthenticationError("Microsoft Entra ID error '(invalid_client) AADSTS70021: No matching "
                                          "federated identity record found for presented assertion.'\nContent: {}"))
    assert e.code == "AADSTS70021" and "issuer" in e.hint and "Content" not in e.message


def test_kubernetes_errors_are_explained():
    from kubernetes.client.exceptions import ApiException
    exc = ApiException(status=403, reason="Forbidden")
    exc.body = json.dumps({"kind": "Status", "reason": "Forbidden", "message": "serviceaccounts is forbidden"})
    e = explain(exc)
    assert e.status == 403 and "forbidden" in e.message and "RBAC" in e.hint


def test_parameter_errors_pass_through_as_explained():
    with pytest.raises(keyless.ParameterError) as info:
        keyless.Parameters(namespace="Bad")
    e = explain(info.value)
    assert e.code == "InvalidParameter" and "namespace" in e.message


# ---- targets ------------------------------------------------------------------------------------

def test_subscription_choice_refuses_to_guess_between_several():
    subs = [{"subscriptionId": "a", "displayName": "A", "state": "Enabled"},
            {"subscriptionId": "b", "displayName": "B", "state": "Enabled"}]
    with pytest.raises(KeylessError) as e:
        choose_subscription(subs, "")
    assert e.value.code == "AmbiguousSubscription" and "A (a)" in e.value.message
    assert choose_subscription(subs, "", default="b")["subscriptionId"] == "b"
    assert choose_subscription(subs, "B".lower())["subscriptionId"] == "b"
    assert choose_subscription(subs[:1], "")["subscriptionId"] == "a"
    with pytest.raises(KeylessError):
        choose_subscription(subs, "c")


def test_importing_the_library_does_not_load_the_emulator():
    code = "import keyless, keyless.runner, keyless.widgets, sys; print('keyless_emulator' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_only_targets_imports_the_emulator_and_only_its_public_api():
    public = {"EmulatorConfig", "start_background", "start_in_thread", "attach", "stop", "EmulatorInfo",
              "EmulatorNotRunning", "ControlClient"}
    offenders = {}
    for path in LIB.rglob("*.py"):
        if "emulator" in path.relative_to(LIB).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("keyless_emulator"):
                names = {a.name for a in node.names}
                if path.name != "targets.py" or node.module != "keyless_emulator" or not names <= public:
                    offenders[path.name] = node.module
            elif isinstance(node, ast.Import) and any(a.name.startswith("keyless_emulator") for a in node.names):
                offenders[path.name] = "import keyless_emulator"
    assert offenders == {}


# ---- widgets -----------------------------------------------------------------------------------

def test_form_is_prefilled_and_read_without_a_click():
    from keyless.widgets import ParameterForm

    calls = []

    def suggest(name, values):
        calls.append((name, values["resource_group"]))
        return {"resource_group": ["myResourceGroup", "other"], "cluster": ["aks1"]}.get(name, [])

    form = ParameterForm(keyless.Parameters(identity="idA"), suggest)
    assert form.fields["identity"].value == "idA" and form.fields["cluster"].value == ""
    assert form.fields["resource_group"].options == ("myResourceGroup", "other")
    form.fields["resource_group"].value = "other"           # changing the group refreshes suggestions
    assert ("cluster", "other") in calls
    form.fields["cluster"].value = "typed-cluster"           # a typed value not among the options is fine
    p = form.parameters()
    assert (p.resource_group, p.cluster, p.identity) == ("other", "typed-cluster", "idA")


def test_form_refuses_a_bad_value_naming_the_field():
    from keyless.widgets import ParameterForm

    form = ParameterForm(keyless.Parameters())
    form.fields["namespace"].value = "Not_A_Label"
    with pytest.raises(keyless.ParameterError):
        form.parameters()
    assert "namespace" in form.error.value


def test_form_suggestions_failing_leave_typing_usable():
    from keyless.widgets import ParameterForm

    def broken(name, values):
        raise RuntimeError("no network")

    form = ParameterForm(keyless.Parameters(), broken)
    assert form.fields["resource_group"].options == ()
    assert form.parameters().resource_group == "myResourceGroup"


def test_headless_summary_is_plain_and_deterministic():
    from keyless.widgets import summary
    text = summary(keyless.Parameters())
    assert text == summary(keyless.Parameters())
    assert "cluster:              (discover)" in text and "subject:" in text


# ---- notebooks ----------------------------------------------------------------------------------

EXPECTED = ["00-before-you-begin", "01-enable-workload-identity", "02-create-managed-identity",
            "03-create-federated-credential", "04-use-workload-identity-on-aks", "05-test-the-application",
            "99-clean-up"]


def generator():
    """notebooks/build.py as a module (it is a script, not part of the package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebooks_are_the_articles_sections_with_the_generators_sources():
    """Sources, cell ids, cell metadata and notebook metadata exactly as build.py writes them;
    outputs (recorded by `python -m keyless record`) are allowed."""
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED
    generated = generator().generated()
    assert sorted(generated) == EXPECTED
    for stem, want in generated.items():
        have = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
        assert have.metadata == want.metadata, stem
        assert [(c.id, c.cell_type, c.source, c.metadata) for c in have.cells] == \
               [(c.id, c.cell_type, c.source, c.metadata) for c in want.cells], f"{stem}: run notebooks/build.py"


def test_rebuilding_keeps_the_recorded_outputs():
    before = {p.name: p.read_text() for p in NOTEBOOKS.glob("*.ipynb")}
    subprocess.run([sys.executable, str(NOTEBOOKS / "build.py")], check=True, capture_output=True)
    assert {p.name: p.read_text() for p in NOTEBOOKS.glob("*.ipynb")} == before, "run notebooks/build.py"


def test_a_changed_cell_loses_its_recorded_outputs_and_clearing_is_explicit():
    from keyless.recording import keep_outputs

    build = generator()
    recorded = nbformat.read(NOTEBOOKS / "02-create-managed-identity.ipynb", as_version=4)
    fresh = build.generated()["02-create-managed-identity"]
    assert keep_outputs(fresh, recorded).cells == recorded.cells
    fresh.cells[-1].source += "  # changed"
    kept = keep_outputs(fresh, recorded)
    assert kept.cells[-1].outputs == [] and kept.cells[-1].execution_count is None
    assert kept.cells[3].outputs == recorded.cells[3].outputs
    assert all(c.get("outputs", []) == [] for c in build.generated()["02-create-managed-identity"].cells)


@pytest.mark.parametrize("stem", EXPECTED)
def test_each_notebook_has_one_parameters_cell_stable_ids_and_python3(stem):
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = {line.split(" = ")[0] for line in tagged[0].source.splitlines() if " = " in line}
    assert names == set(keyless.params.NAMES)
    assert all(c.id.startswith(f"nb{stem[:2]}-") for c in nb.cells)
    assert "keyless.init(globals())" in "".join(c.source for c in nb.cells)


def test_kubectls_last_applied_copy_of_the_key_is_neither_recorded_nor_kept():
    from keyless.steps.deploy import LAST_APPLIED
    manifest = json.dumps({"spec": {"template": {"spec": {"containers": [
        {"name": "ai-service", "env": [{"name": "OPENAI_API_KEY", "value": "sk-999"}]}]}}}})
    dep = {"metadata": {"name": "ai-service", "annotations": {LAST_APPLIED: manifest, "team": "store"}},
           "spec": {"replicas": 1, "template": {"metadata": {"labels": {"azure.workload.identity/use": "true"}},
                                                "spec": {"serviceAccountName": "ai-service-account", "containers": [
                                                    {"name": "ai-service", "env": []}]}}}}
    assert "sk-999" not in json.dumps(without_secrets(dep))
    assert without_secrets(dep)["metadata"]["annotations"] == {"team": "store"}
    found = {"openai_deployment": "gpt", "openai_endpoint": "https://x/"}
    assert f"remove the key from the {LAST_APPLIED} annotation" in differences(dep, keyless.Parameters(), found)


def test_the_data_folder_is_found_from_a_subfolder(tmp_path, monkeypatch):
    monkeypatch.delenv("KEYLESS_HOME", raising=False)
    (tmp_path / ".keyless").mkdir()
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert keyless.Parameters().home == tmp_path / ".keyless"
    monkeypatch.setenv("KEYLESS_HOME", str(tmp_path / "elsewhere"))
    assert keyless.Parameters().home == tmp_path / "elsewhere"
    assert keyless.Parameters(data_dir=str(tmp_path / "d")).home == tmp_path / "d"


def test_interactive_progress_updates_one_line_and_headless_prints_milestones(capsys):
    from keyless.notebook import Runbook
    rb = Runbook(keyless.Parameters(), clients=None, state=None, interactive=True)  # type: ignore[arg-type]
    rb.progress("first")
    rb.progress("  detail", detail=True)
    assert rb._progress_line.widget.value == "<code>  detail</code>"
    capsys.readouterr()
    rb.interactive, rb._progress_line = False, None
    rb.progress("milestone")
    rb.progress("  detail", detail=True)
    assert capsys.readouterr().out == "milestone\n"


def test_the_runner_talks_to_kernels_over_local_sockets_not_tcp():
    from keyless.runner import _ipc_kernel_manager

    assert _ipc_kernel_manager()().transport == "ipc"
