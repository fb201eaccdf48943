"""The whole article on the emulator through the library: every link verified, idempotence (a
second run sends no mutating request), the learner exercise's failure, clean-up back to the
scenario's start, and clean-up safe twice and after a failed run."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from secretscan import assert_no_secret, emulator_secrets, pod_logs, text_findings

import keyless
from keyless.steps.deploy import KEY_VARIABLES, LAST_APPLIED
from keyless.steps.verify import CALL, KEYLESS

MAIN = ("discover", "enable_workload_identity", "create_managed_identity", "assign_openai_role",
        "create_federated_credential", "create_service_account", "redeploy_app")


def run_main(rb: keyless.Runbook) -> list[keyless.StepResult]:
    return [getattr(rb, step)() for step in MAIN]


# What clean-up cannot or need not undo, and why:
# - `ids`: the emulator's id counters only ever move forward (etags, operation ids);
# - eTag/systemData/provisioning bookkeeping on documents that were written and put back;
# - the cluster's oidcIssuerProfile: AKS cannot turn the OIDC issuer off once it is on;
# - the cluster's securityProfile.workloadIdentity: turned off again, `{enabled: false}` equals absent;
# - the emulator kubelet's `keyless.emulator/local-url` Service annotation (added when it starts);
# - Kubernetes bookkeeping (uids, resourceVersions, generations, timestamps, pod names, statuses):
#   the restored Deployment is a new revision with new pods, compared by its spec instead;
# - the Azure OpenAI keys after notebook 06: a regenerated key cannot be put back on Azure, so the
#   account's key generations are set aside, and the key the restored Deployment carries (in its env and
#   its last-applied annotation) is compared as "a key" (test_local_auth checks it is the current key1).
_VOLATILE_KEYS = {"eTag", "etag", "systemData", "uid", "resourceVersion", "generation", "creationTimestamp",
                  "managedFields", "status", "observedGeneration", "deletionTimestamp",
                  "pod-template-hash", "deployment.kubernetes.io/revision", "startedAt", "lastUpdateTime",
                  "lastTransitionTime", "lastProbeTime", "containerID", "podIP", "hostIP", "nodeName",
                  "createdTime", "changedTime"}


def _strip(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _strip(v) for k, v in doc.items() if k not in _VOLATILE_KEYS}
    if isinstance(doc, list):
        return [_strip(v) for v in doc]
    return doc


def normalise(snapshot: dict[str, Any]) -> dict[str, Any]:
    snap = copy.deepcopy(snapshot)
    snap.pop("ids", None)
    snap.pop("operations", None)
    for meta in (snap.get("resources", {}).get("meta") or {}).values():
        meta.pop("key_generation", None)
    for doc in snap.get("resources", {}).get("documents", []):
        props = doc.get("properties") or {}
        props.pop("oidcIssuerProfile", None)
        sec = props.get("securityProfile") or {}
        if sec.get("workloadIdentity", {}).get("enabled") is False:
            sec.pop("workloadIdentity")
    snap["resources"] = _strip(snap.get("resources"))
    snap["sections"] = _strip(_without_pods(snap.get("sections", {})))
    return snap


TRANSIENT = {"pods", "replicasets", "events", "endpoints", "endpointslices"}
KEY = "<an Azure OpenAI key>"


def _mask_keys(deployment: dict[str, Any]) -> None:
    """The Deployment's Azure OpenAI key values replaced by KEY, in its containers' env and in the
    last-applied configuration kubectl keeps as JSON text (see normalise: keys are not put back)."""
    for c in (((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []:
        for e in c.get("env") or []:
            if e.get("name") in KEY_VARIABLES and "value" in e:
                e["value"] = KEY
    annotations = (deployment.get("metadata") or {}).get("annotations") or {}
    if LAST_APPLIED in annotations:
        applied = json.loads(annotations[LAST_APPLIED])
        _mask_keys(applied)
        annotations[LAST_APPLIED] = json.dumps(applied, sort_keys=True)


def _without_pods(sections: Any) -> Any:
    """Kubernetes objects keyed by resource/namespace/name; pods, ReplicaSets, their endpoints and
    events are replaced on every rollout, so the Deployments that own them are compared instead."""
    out: dict[str, Any] = {}
    for cluster, data in ((sections.get("kubernetes") or {}).get("clusters") or {}).items():
        objects = {}
        for entry in data.get("objects", []):
            if entry.get("resource") in TRANSIENT:
                continue
            meta = (entry.get("object") or {}).get("metadata") or {}
            annotations = meta.get("annotations") or {}
            annotations.pop("keyless.emulator/local-url", None)  # the kubelet's forwarder address, set at runtime
            if entry.get("resource") == "deployments":
                _mask_keys(entry.get("object") or {})
            if not annotations:
                meta.pop("annotations", None)
            objects[f"{entry.get('resource')}/{meta.get('namespace', '')}/{meta.get('name')}"] = entry.get("object")
        out[cluster] = {**{k: v for k, v in data.items() if k != "objects"}, "objects": objects}
    return out


@pytest.mark.slow
def test_the_article_end_to_end_then_a_rerun_sends_no_mutating_request(rb, admin):
    results = run_main(rb)
    assert [r.status for r in results] == ["ok", "updated", "created", "created", "created", "created", "updated"], \
        "\n".join(map(repr, results))
    check = rb.verify()
    assert check.ok, repr(check)
    names = [c.name for c in check.checks]
    assert "no API key in the pod" in names and CALL in names and KEYLESS in names
    assert all(c.passed for c in check.checks)
    assert check["description"]
    # nothing the run showed or wrote holds a secret: results, state file, request log, pods' logs
    secrets = emulator_secrets(rb.clients.emulator)
    shown = "\n".join(repr(r) + r._repr_html_() for r in rb.results)
    assert not text_findings("the step results", shown, secrets)
    assert not text_findings("the request log", json.dumps(admin.call("GET", "/requests")), secrets)
    assert assert_no_secret([rb.params.home / "state", *pod_logs(Path(rb.clients.emulator.home))], secrets) >= 1

    admin.clear_requests()
    again = run_main(keyless.init(rb.params, emulator=rb.clients.emulator))  # a fresh kernel, same data folder
    assert all(r.status in ("ok", "unchanged") for r in again), "\n".join(map(repr, again))
    assert admin.mutating() == []


@pytest.mark.slow
def test_exercise_removing_the_label_breaks_the_chain_and_redeploy_mends_it(rb):
    run_main(rb)
    broken = rb.remove_pod_label()
    assert broken.ok, repr(broken)
    check = rb.verify(timeout=5, expect_failure=True)
    assert not check.ok
    failing = [c.name for c in check.checks if not c.ok]
    assert "pod labelled azure.workload.identity/use=true" in failing
    assert "webhook injected AZURE_* variables" in failing
    # the first broken link, in chain order, is the Deployment's pod template, which 04 sets
    assert check.hint.startswith("first failing link: Deployment ai-service uses the ServiceAccount")
    assert "pod label azure.workload.identity/use=true" in check.hint and "run 04 first" in check.hint
    mended = rb.redeploy_app()
    assert mended.status == "updated"
    assert rb.verify(after_exercise=True).ok  # the exercise ran: the check after the mend is made


@pytest.mark.slow
def test_with_exercise_false_05_skips_the_exercise_and_changes_nothing(rb, admin):
    """`-p exercise False` (a pipeline that must not take the app down): 05's cells run in order, the label
    stays, its expected failure and the check after the mend are skipped, and nothing is sent but the first
    check's call to ai-service."""
    run_main(rb)
    quiet = keyless.init(rb.params.replace(exercise=False), emulator=rb.clients.emulator)
    admin.clear_requests()
    first, removed = quiet.verify(), quiet.remove_pod_label()
    expected, mend = quiet.verify(timeout=5, expect_failure=True), quiet.redeploy_app()
    last = quiet.verify(after_exercise=True)
    asked = [r for r in admin.mutating() if r.endswith("/services/ai-service/proxy/generate/description")]
    assert len(asked) == 1 and [r for r in admin.mutating() if r not in asked] == []  # the first check's app call
    assert (removed.status, removed.summary) == ("skipped", "exercise = False: the exercise is skipped; nothing sent")
    assert (expected.status, expected.summary) == ("skipped", "exercise = False: the exercise's check is skipped")
    assert (last.status, last.summary) == ("skipped", "exercise = False: the exercise did not run, nothing was "
                                           "undone; the check above stands")
    assert (first.ok, mend.status) == (True, "unchanged")


@pytest.mark.slow
def test_wrong_subject_is_diagnosed_by_verify(rb, admin):
    run_main(rb)
    from azure.mgmt.msi.models import FederatedIdentityCredential
    rb.clients.msi.federated_identity_credentials.create_or_update(
        "myResourceGroup", "myIdentity", "myFedIdentity", FederatedIdentityCredential(
            issuer=rb.state.discovered["issuer_url"], subject="system:serviceaccount:default:wrong",
            audiences=["api://AzureADTokenExchange"]))
    check = rb.verify(timeout=5)
    assert not check.ok
    first = next(c for c in check.checks if not c.ok)
    assert first.name == "federated credential myFedIdentity trusts system:serviceaccount:default:ai-service-account"
    assert "subject system:serviceaccount:default:wrong" in first.detail and "run 03 first" in first.hint


@pytest.mark.slow
def test_missing_role_is_diagnosed_after_a_bounded_wait(rb):
    run_main(rb)
    ra = rb.state.created["role_assignment"]
    rb.clients.authorization.role_assignments.delete_by_id(ra)
    check = rb.verify(timeout=3)
    assert not check.ok
    failing = [c for c in check.checks if not c.ok]
    assert failing[0].name == "Cognitive Services OpenAI User for myIdentity at the account's scope"


@pytest.mark.slow
def test_clean_up_returns_to_the_scenarios_start_and_is_safe_twice(rb, admin):
    start = admin.snapshot()
    run_main(rb)
    assert rb.verify().ok
    plan = rb.plan_clean_up()
    assert plan.status == "planned" and len(plan.values) == 6, repr(plan)
    assert admin.snapshot()["resources"] != start["resources"]  # the dry run changed nothing yet
    done = rb.clean_up()
    assert done.ok, repr(done)
    assert normalise(admin.snapshot()) == normalise(start)
    # the one difference normalise() leaves out is named in clean-up's own output
    assert "workload identity on the cluster: turned off (the OIDC issuer stays on)" in repr(done)
    admin.clear_requests()
    twice = keyless.init(rb.params, emulator=rb.clients.emulator).clean_up()
    assert twice.status == "ok" and "nothing to clean up" in twice.summary
    assert admin.mutating() == []


def test_clean_up_after_a_failed_run_removes_what_was_made(rb, admin):
    start = admin.snapshot()
    rb.discover()
    rb.create_managed_identity()
    admin.faults({"route": "federatedIdentityCredentials", "method": "PUT", "status": 400, "code": "BadRequest"})
    rb.enable_workload_identity()
    failed = rb.create_federated_credential()
    assert failed.status == "failed"
    admin.faults()
    # the identity vanished behind the runbook's back: clean-up still completes
    rb.clients.msi.user_assigned_identities.delete("myResourceGroup", "myIdentity")
    done = rb.clean_up()
    assert done.ok, repr(done)
    # ARM answers a DELETE of something already gone with 204: clean-up says there was nothing to delete
    first = done.checks[0]
    assert (first.name, first.detail) == ("managed identity myIdentity", "absent")
    assert normalise(admin.snapshot()) == normalise(start)


@pytest.mark.slow
def test_verify_waits_for_role_propagation_and_says_so(rb, admin, capsys):
    admin.settings(role_propagation_seconds=3)
    run_main(rb)
    check = rb.verify(timeout=30)
    assert check.ok, repr(check)
    out = capsys.readouterr().out
    assert "waits up to 30s for the role and the federated credential to take effect" in out


@pytest.mark.slow
def test_verify_gives_up_in_bounded_time_with_a_diagnosis(rb, admin):
    admin.settings(role_propagation_seconds=600)
    run_main(rb)
    check = rb.verify(timeout=4)
    assert not check.ok
    last = check.checks[-1]
    assert last.name == CALL and not last.ok
    assert "propagating" in last.hint and "propagating" in check.hint


@pytest.mark.slow
def test_missing_credential_and_service_account_are_failed_checks_not_crashes(rb):
    run_main(rb)
    rb.clients.msi.federated_identity_credentials.delete("myResourceGroup", "myIdentity", "myFedIdentity")
    rb.clients._kube["myresourcegroup/myakscluster"].core.delete_namespaced_service_account(
        "ai-service-account", "default")
    check = rb.verify(timeout=3)
    failing = {c.name: c for c in check.checks if not c.ok}
    fic = failing["federated credential myFedIdentity trusts system:serviceaccount:default:ai-service-account"]
    assert (fic.detail, fic.hint) == ("myFedIdentity does not exist",
                                      "run 03 first (notebook 03-create-federated-credential)")
    sa = failing["ServiceAccount ai-service-account annotated with myIdentity's client id"]
    assert sa.detail == "default/ai-service-account does not exist"
    assert check.hint.startswith("first failing link: federated credential myFedIdentity")
