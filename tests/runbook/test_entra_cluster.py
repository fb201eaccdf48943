"""The runbook on a cluster with Microsoft Entra integration, Azure RBAC for Kubernetes authorization and
local accounts disabled (scenario `before-you-begin-entra`): the Kubernetes token comes from the same
azure-identity credential as Resource Manager's (no kubelogin), the up-front SelfSubjectAccessReviews in
00 pass with Azure Kubernetes Service RBAC Writer on the namespace and, without it, refuse before anything
changes, naming the role, the scope and the `az role assignment create` that grants it; the whole
article then runs, and `python -m keyless run --scenario before-you-begin-entra` runs every notebook."""
from __future__ import annotations

import pytest
import yaml

import keyless
from keyless_emulator import stop

from .test_cli import keyless_run, read_report, scan_run
from .test_full_run import MAIN, run_main

SCENARIO = "before-you-begin-entra"
WRITER = "Azure Kubernetes Service RBAC Writer"


@pytest.fixture
def entra(fresh, control):
    control.quiet(SCENARIO)
    yield fresh
    control.quiet()  # the next test starts from the article's default start


@pytest.fixture
def rb_entra(entra, params) -> keyless.Runbook:
    return keyless.init(params, emulator=entra.info)


def _writer_assignment(rb: keyless.Runbook):
    cluster_id = rb.clients.aks.managed_clusters.get("myResourceGroup", "myAKSCluster").id
    scope = f"{cluster_id}/namespaces/default"
    return scope, [a for a in rb.clients.authorization.role_assignments.list_for_scope(scope)
                   if a.scope.lower() == scope.lower()]


def test_discover_checks_kubernetes_access_with_the_arm_credential(rb_entra, entra):
    result = rb_entra.discover()
    assert result.ok, repr(result)
    # on Azure the same commands need the real kubelogin: the equivalent says so
    assert "kubelogin convert-kubeconfig -l azurecli" in result.command
    assert any(c.name == "you may create ServiceAccounts and patch Deployments in the namespace default" and c.ok
               for c in result.checks)
    kube = rb_entra.clients._kube["myresourcegroup/myakscluster"]
    assert kube.entra is True
    learner = yaml.safe_load(kube.kubeconfig_path.read_text())["users"][0]["user"]
    assert "token" not in learner  # the learner's kubeconfig holds no token: it runs the credential plugin
    assert learner["exec"]["args"][:3] == ["-m", "keyless.kubelogin", "get-token"]
    operator = next(p for p in entra.backend.state.principals.values() if p.app_id == entra.info.client_id)
    assert kube.username() == operator.object_id  # the Entra identity the runbook signed in with


def test_without_a_kubernetes_role_00_refuses_naming_the_role_and_nothing_changes(rb_entra, admin):
    scope, assignments = _writer_assignment(rb_entra)
    assert assignments, "the scenario gives the operator Writer on the namespace"
    for a in assignments:
        rb_entra.clients.authorization.role_assignments.delete_by_id(a.id)
    admin.clear_requests()
    with pytest.raises(keyless.KeylessError) as e:
        keyless.steps.discover(rb_entra.clients, rb_entra.params, rb_entra.state)
    assert e.value.code == "KubernetesForbidden"
    assert "Azure RBAC for Kubernetes authorization" in e.value.message
    assert "create serviceaccounts (create the ServiceAccount)" in e.value.message
    assert "patch deployments.apps (redeploy the Deployment)" in e.value.message
    assert f'ask for the {WRITER} role on the namespace default (scope {scope})' in e.value.hint
    assert f'az role assignment create --role "{WRITER}" --assignee ' in e.value.hint
    assert admin.mutating() == [], "the refusal comes before anything is changed"


@pytest.mark.slow
def test_the_article_runs_on_an_entra_cluster_with_writer_on_the_namespace(rb_entra, admin):
    results = run_main(rb_entra)
    assert [r.status for r in results] == ["ok", "updated", "created", "created", "created", "created", "updated"], \
        "\n".join(map(repr, results))
    check = rb_entra.verify()
    assert check.ok, repr(check)
    assert rb_entra.clean_up().ok
    assert len(MAIN) == len(results)


@pytest.mark.slow
def test_cli_runs_every_notebook_on_the_entra_scenario(tmp_path):
    home, out = tmp_path / "data", tmp_path / "out"
    try:
        done = keyless_run("--target", "emulator", "--scenario", SCENARIO, "-p", "data_dir", str(home),
                           "--out", str(out), cwd=tmp_path)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        report = read_report(out)
        assert all(n["status"] == "passed" for n in report["notebooks"]), report["notebooks"]
        scan_run(home, out)
    finally:
        stop(home)


def test_cli_refuses_an_unknown_scenario(tmp_path):
    home = tmp_path / "data"
    try:
        done = keyless_run("--target", "emulator", "--scenario", "nope", "-p", "data_dir", str(home), "--out",
                           str(tmp_path / "out"), cwd=tmp_path)
        assert done.returncode == 2
        assert "parameter 'scenario' = 'nope' is not valid: the emulator knows no such scenario" in done.stderr
    finally:
        stop(home)
