"""One dry-run switch (`dry_run`) honoured by every step: each reports what it would change and
sends no mutating request (the emulator's request log says so), also when the steps it depends
on have not run (a fresh environment), and reports nothing to change once the runbook has run."""
from __future__ import annotations

import keyless

SETUP = ("discover", "enable_workload_identity", "create_managed_identity", "assign_openai_role",
         "create_federated_credential", "create_service_account", "redeploy_app")


def every_step(rb: keyless.Runbook) -> dict[str, keyless.StepResult]:
    results = {name: getattr(rb, name)() for name in SETUP}
    results["verify"] = rb.verify()
    results["remove_pod_label"] = rb.remove_pod_label()
    results["exercise"] = rb.verify(timeout=5, expect_failure=True)
    results["after_exercise"] = rb.verify(after_exercise=True)
    results["clean_up"] = rb.clean_up()
    return results


def test_a_dry_run_on_a_fresh_environment_plans_every_change_and_sends_nothing_mutating(fresh, params, admin):
    rb = keyless.init(params.replace(dry_run=True), emulator=fresh.info)
    admin.clear_requests()
    r = every_step(rb)
    assert admin.mutating() == []
    assert {k: v.status for k, v in r.items()} == {
        "discover": "ok", "enable_workload_identity": "planned", "create_managed_identity": "planned",
        "assign_openai_role": "planned", "create_federated_credential": "planned",
        "create_service_account": "planned", "redeploy_app": "planned", "verify": "skipped",
        "remove_pod_label": "skipped", "exercise": "skipped", "after_exercise": "skipped", "clean_up": "ok"}
    assert all(v.ok for v in r.values())
    assert r["enable_workload_identity"].changes == ["enable the OIDC issuer on the cluster myAKSCluster",
                                                     "enable workload identity on the cluster myAKSCluster"]
    # the dependent steps name what the earlier steps would create
    fic = r["create_federated_credential"].changes[0]
    assert "myFedIdentity on myIdentity trusting system:serviceaccount:default:ai-service-account" in fic
    assert "<the cluster's OIDC issuer URL, once enabled>" in fic
    assert "<client id of myIdentity, once created>" in r["create_service_account"].changes[0]
    assert any("remove env OPENAI_API_KEY" in c for c in r["redeploy_app"].changes)
    assert "POST through the service proxy" in r["verify"].summary
    assert r["after_exercise"].summary.startswith("dry run: the exercise did not run, nothing was undone")
    assert "would: create the user-assigned managed identity myIdentity in eastus" in repr(
        r["create_managed_identity"])
    assert rb.state.created == {}


def test_a_dry_run_after_a_run_finds_nothing_to_change(rb, fresh, params, admin):
    for name in SETUP:
        assert getattr(rb, name)().ok, name
    planned = keyless.init(params.replace(dry_run=True), emulator=fresh.info)
    admin.clear_requests()
    r = {name: getattr(planned, name)() for name in SETUP}
    verify = planned.verify()
    assert admin.mutating() == []
    assert {k: v.status for k, v in r.items() if k != "discover"} == dict.fromkeys(SETUP[1:], "unchanged")
    assert verify.status == "skipped" and "links hold" in verify.summary
    clean_up = planned.clean_up()                          # clean-up's own dry run lists the removals
    assert clean_up.status == "planned" and "delete the managed identity myIdentity" in clean_up.changes
    assert admin.mutating() == []
