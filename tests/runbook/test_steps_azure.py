"""The Azure-side steps against the emulator with the real SDKs: results, what is sent (request
log), check-before-act, and the failure paths (missing permission, different credential,
throttling, conflicts)."""
from __future__ import annotations

import base64
import itertools
import json
import urllib.parse

import pytest

import keyless
from keyless.steps import workload_identity
from keyless.steps.cleanup import _start_disabling_workload_identity
from keyless.steps.role_assignment import ROLE_NAME, assignment_name

from .conftest import Admin

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
CLUSTER_PUT = "microsoft.containerservice/managedclusters:put"


def azure_side(rb: keyless.Runbook) -> list[keyless.StepResult]:
    return [rb.discover(), rb.enable_workload_identity(), rb.create_managed_identity(), rb.assign_openai_role(),
            rb.create_federated_credential()]


def test_discover_finds_the_prerequisite_resources(rb, admin):
    r = rb.discover()
    assert r.ok and r.status == "ok"
    assert (r["cluster"], r["openai_account"], r["openai_deployment"], r["location"]) == (
        "myAKSCluster", "myOpenAIAccount", "gpt-4o-mini", "eastus")
    assert r["openai_endpoint"].startswith("https://127.0.0.1:")
    assert admin.mutating() == []
    assert "az aks list -g myResourceGroup" in repr(r)


def test_discover_refuses_a_caller_who_may_not_assign_roles_before_anything_changes(rb, admin):
    """Checked up front in 00, with the permissions API: a Contributor could enable workload
    identity and create the identity, then fail at the role assignment; nothing may change first."""
    from azure.mgmt.authorization.models import RoleAssignmentCreateParameters

    auth = rb.clients.authorization
    sub = f"/subscriptions/{rb.clients.subscription_id}"
    owner = next(a for a in auth.role_assignments.list_for_scope(sub, filter="atScope()")
                 if a.role_definition_id.endswith(OWNER))
    auth.role_assignments.create(sub, "11111111-2222-3333-4444-555555555556", RoleAssignmentCreateParameters(
        role_definition_id=f"{sub}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}",
        principal_id=owner.principal_id, principal_type="ServicePrincipal"))
    auth.role_assignments.delete_by_id(owner.id)
    admin.clear_requests()
    r = rb.discover()
    assert not r.ok and r.get("error") == "AuthorizationFailed"
    assert "Owner or User Access Administrator" in r.hint and "nothing was changed" in r.hint
    assert admin.mutating() == []


def test_discover_missing_group_is_explained(fresh, params):
    rb = keyless.init(params.replace(resource_group="nope"), emulator=fresh.info)
    r = rb.discover()
    assert not r.ok and r.get("error") == "ResourceGroupNotFound"
    assert "resource_group" in r.hint


def test_discover_refuses_several_candidates_with_the_list(rb, admin):
    rb.clients.cognitive.accounts.begin_create("myResourceGroup", "secondOpenAI", {
        "location": "eastus", "kind": "OpenAI", "sku": {"name": "S0"},
        "properties": {"customSubDomainName": "second-openai-x1"}}).result()
    admin.clear_requests()
    r = rb.discover()
    assert not r.ok and r.get("error") == "Ambiguous"
    assert "myOpenAIAccount" in r.summary and "secondOpenAI" in r.summary and "openai_account" in r.hint
    assert admin.mutating() == []
    chosen = keyless.init(rb.params.replace(openai_account="secondOpenAI"), emulator=rb.clients.emulator)
    assert chosen.discover().get("error") == "ResourceNotFound"  # it has no model deployment


def cluster_puts(admin: Admin) -> list[str]:
    return [m for m in admin.mutating() if m.startswith("PUT ") and "managedClusters" in m]


def slow_cluster_updates(admin: Admin, seconds: float) -> None:
    """Cluster updates take `seconds`; every other operation is instant."""
    admin.call("PUT", "/latency", {"profile": "instant", "overrides": {CLUSTER_PUT: seconds}})


def test_enable_workload_identity_starts_the_update_then_nothing_sent_on_rerun(rb, admin):
    first = rb.enable_workload_identity()
    assert first.status == "updated" and "the update continues in the background" in first.summary
    assert first["completes"] == "before the federated credential (03)"
    assert len(cluster_puts(admin)) == 1
    assert set(rb.state.pending["cluster_update"]) == {"cluster", "purpose", "notebook", "token"}
    admin.clear_requests()
    again = rb.enable_workload_identity()   # resumes the update it started, then finds both flags on
    assert again.status == "unchanged" and again["issuer_url"].endswith("/")
    assert rb.state.pending == {} and rb.state.discovered["issuer_url"] == again["issuer_url"]
    mc = rb.clients.aks.managed_clusters.get("myResourceGroup", "myAKSCluster")
    assert mc.oidc_issuer_profile.enabled and mc.security_profile.workload_identity.enabled
    assert admin.mutating() == []


def test_the_identity_and_role_proceed_while_the_cluster_update_runs_and_03_resumes_it(rb, admin):
    """Notebook 01 leaves the update running; 02's identity and 03's role assignment are made while the
    cluster still says Updating; the federated credential waits for that same operation (no second PUT)
    and names where it finished. The 6 s update is the window the overlap needs; nothing is timed."""
    rb.discover()
    slow_cluster_updates(admin, 6)
    lines: list[str] = []
    rb.progress = lambda message, detail=False: lines.append(message) if not detail else None
    assert rb.enable_workload_identity().ok
    assert rb.create_managed_identity().status == "created"
    assert rb.assign_openai_role().status == "created"
    mc = rb.clients.aks.managed_clusters.get("myResourceGroup", "myAKSCluster")
    wi = mc.security_profile and mc.security_profile.workload_identity
    assert mc.provisioning_state == "Updating" and not (wi and wi.enabled)
    fic = rb.create_federated_credential()
    assert fic.status == "created", repr(fic)
    assert fic["issuer"] == rb.clients.aks.managed_clusters.get(
        "myResourceGroup", "myAKSCluster").oidc_issuer_profile.issuer_url
    assert len(cluster_puts(admin)) == 1 and rb.state.pending == {}
    assert lines[1].startswith("the update of myAKSCluster continues in the background")
    assert lines[-1] == ("the update of myAKSCluster started in notebook 01 has finished: the OIDC issuer and "
                         "workload identity are on")


def test_a_new_kernel_resumes_the_update_from_the_continuation_token_in_the_state_file(rb, admin, monkeypatch):
    """A notebook run alone in a new kernel has no poller of 01's: it rebuilds the same operation's poller
    from the azure-core continuation token the state file keeps (which holds no credential)."""
    from secretscan import emulator_secrets, text_findings

    from keyless.steps import workload_identity

    rb.discover()
    slow_cluster_updates(admin, 3)
    rb.enable_workload_identity()
    rb.create_managed_identity()
    token = rb.state.pending["cluster_update"]["token"]
    decoded = base64.b64decode(token).decode()
    assert text_findings("continuation token", decoded, emulator_secrets(rb.clients.emulator)) == []
    headers = {k.lower(): v for k, v in json.loads(decoded)["data"]["response"]["headers"].items()}
    operation = headers["azure-asyncoperation"]
    monkeypatch.setattr(workload_identity, "_LIVE", {})   # what a new kernel has: no poller of this process
    new_kernel = keyless.init(rb.params, emulator=rb.clients.emulator)
    admin.clear_requests()
    r = new_kernel.create_federated_credential()
    assert r.status == "created", repr(r)
    polled = [x["path"] for x in admin.requests() if "/operations/" in x["path"]]
    assert polled and set(polled) == {urllib.parse.urlsplit(operation).path}
    assert [m.split("?")[0].rsplit("/", 2)[-2] for m in admin.mutating()] == ["federatedIdentityCredentials"]


def test_a_token_this_sdk_cannot_read_falls_back_to_reading_the_cluster(rb, admin, monkeypatch):
    from keyless.steps import workload_identity

    rb.discover()
    rb.enable_workload_identity()
    rb.create_managed_identity()
    record = {**rb.state.pending["cluster_update"], "token": "bm90IGEgdG9rZW4="}  # base64 of "not a token"
    rb.state.remember_pending("cluster_update", record)
    monkeypatch.setattr(workload_identity, "_LIVE", {})
    r = keyless.init(rb.params, emulator=rb.clients.emulator).create_federated_credential()
    assert r.status == "created" and r["issuer"].endswith("/"), repr(r)
    assert len(cluster_puts(admin)) == 1


def test_identity_role_and_credential_are_created_once(rb, admin):
    results = azure_side(rb)
    assert [r.status for r in results] == ["ok", "updated", "created", "created", "created"], results
    ident, role, fic = results[2], results[3], results[4]
    scope = rb.state.discovered["openai_account_id"]
    assert role["scope"] == scope and role["role"] == ROLE_NAME
    assert role["assignment"] == assignment_name(scope, ident["principal_id"], OPENAI_USER)
    assert fic["subject"] == "system:serviceaccount:default:ai-service-account"
    assert fic["issuer"] == rb.state.discovered["issuer_url"]
    assert set(rb.state.created) >= {"identity", "role_assignment", "federated_credential"}
    # the role is at the account's scope only
    assignments = [a for a in rb.clients.authorization.role_assignments.list_for_subscription()
                   if a.principal_id == ident["principal_id"]]
    assert [(a.scope, a.role_definition_id.rsplit("/", 1)[-1]) for a in assignments] == [(scope, OPENAI_USER)]

    admin.clear_requests()
    again = azure_side(keyless.init(rb.params, emulator=rb.clients.emulator))  # a new kernel: state re-read
    assert [r.status for r in again] == ["ok", "unchanged", "unchanged", "unchanged", "unchanged"]
    assert admin.mutating() == []


def test_role_step_stops_when_the_caller_may_not_assign_roles(rb, admin):
    """The operator is demoted to Contributor: the permissions API says no, nothing is PUT."""
    auth = rb.clients.authorization
    sub = f"/subscriptions/{rb.clients.subscription_id}"
    owner = next(a for a in auth.role_assignments.list_for_scope(sub, filter="atScope()")
                 if a.role_definition_id.endswith(OWNER))
    from azure.mgmt.authorization.models import RoleAssignmentCreateParameters
    auth.role_assignments.create(sub, "11111111-2222-3333-4444-555555555555", RoleAssignmentCreateParameters(
        role_definition_id=f"{sub}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}",
        principal_id=owner.principal_id, principal_type="ServicePrincipal"))
    rb.create_managed_identity()
    auth.role_assignments.delete_by_id(owner.id)
    admin.clear_requests()
    r = rb.assign_openai_role()
    assert r.status == "failed" and not r.ok
    # refused by the permissions API (the step's own check, or discovery's up-front one)
    assert "may not create role assignments" in repr(r) or any(
        not c.ok and "roleAssignments/write" in c.name for c in r.checks)
    assert "Owner or User Access Administrator" in repr(r)
    assert [m for m in admin.mutating() if "roleAssignments" in m] == []


def test_existing_credential_with_a_different_subject_is_reported_not_overwritten(rb, admin):
    rb.enable_workload_identity()
    ident = rb.create_managed_identity()
    issuer = rb.clients.aks.managed_clusters.get("myResourceGroup", "myAKSCluster").oidc_issuer_profile.issuer_url
    from azure.mgmt.msi.models import FederatedIdentityCredential
    rb.clients.msi.federated_identity_credentials.create_or_update(
        "myResourceGroup", "myIdentity", "myFedIdentity", FederatedIdentityCredential(
            issuer=issuer, subject="system:serviceaccount:default:someone-else",
            audiences=["api://AzureADTokenExchange"]))
    admin.clear_requests()
    r = rb.create_federated_credential()
    assert r.status == "failed" and ident.ok
    failing = [c for c in r.checks if not c.ok]
    assert [c.name for c in failing] == ["subject matches"]
    assert "someone-else" in failing[0].detail and "delete it" in r.hint
    assert admin.mutating() == []
    got = rb.clients.msi.federated_identity_credentials.get("myResourceGroup", "myIdentity", "myFedIdentity")
    assert got.subject == "system:serviceaccount:default:someone-else"


def test_federated_credential_before_the_issuer_is_refused_naming_01(rb, admin):
    rb.create_managed_identity()
    admin.clear_requests()
    r = rb.create_federated_credential()
    assert r.status == "failed" and r.get("error") == "PrerequisiteMissing"
    assert r.hint.startswith("run 01 first (notebook 01-enable-workload-identity)")
    assert "OIDC issuer and workload identity off" in r.summary and admin.mutating() == []


def test_throttling_is_retried_by_the_sdk_honouring_retry_after(rb, admin):
    rb.discover()
    admin.faults({"route": "userAssignedIdentities/myIdentity$", "method": "PUT", "status": 429,
                  "code": "TooManyRequests", "retry_after": 1, "count": 2})
    r = rb.create_managed_identity()
    assert r.status == "created"
    statuses = [x["status"] for x in admin.requests() if x["method"] == "PUT" and "userAssignedIdentities" in x["path"]]
    assert statuses[:2] == [429, 429] and statuses[-1] in (200, 201)


def test_a_conflict_is_explained_without_a_trace(rb, admin):
    rb.discover()
    admin.faults({"route": "managedClusters/myAKSCluster$", "method": "PUT", "status": 409,
                  "code": "OperationNotAllowed", "message": "Operation is not allowed because there's an in progress "
                                                            "update managed cluster operation"})
    r = rb.enable_workload_identity()
    assert r.status == "failed" and r.get("error") == "OperationNotAllowed"
    assert "in progress" in r.summary and "wait for it to finish" in r.hint
    assert "Traceback" not in repr(r)


@pytest.mark.parametrize("code,needle", [("AuthorizationFailed", "Owner or User Access Administrator"),
                                         ("ResourceQuotaExceeded", "quota")])
def test_arm_errors_come_back_with_what_to_do(rb, admin, code, needle):
    rb.discover()
    admin.faults({"route": "userAssignedIdentities/myIdentity$", "method": "PUT", "status": 403 if code.startswith(
        "Auth") else 409, "code": code})
    r = rb.create_managed_identity()
    assert r.status == "failed" and r.get("error") == code and needle in r.hint


def test_an_equal_assignment_under_another_name_means_no_request(rb, admin):
    ident = (rb.discover(), rb.create_managed_identity())[1]
    scope = rb.state.discovered["openai_account_id"]
    from azure.mgmt.authorization.models import RoleAssignmentCreateParameters
    rb.clients.authorization.role_assignments.create(scope, "0f0f0f0f-0000-4000-8000-000000000001",
                                                     RoleAssignmentCreateParameters(
        role_definition_id=f"/subscriptions/{rb.clients.subscription_id}/providers/Microsoft.Authorization/"
                           f"roleDefinitions/{OPENAI_USER}", principal_id=ident["principal_id"],
        principal_type="ServicePrincipal"))
    admin.clear_requests()
    r = rb.assign_openai_role()
    assert r.status == "unchanged" and r["assignment"] == "0f0f0f0f-0000-4000-8000-000000000001"
    assert admin.mutating() == []
    assert "role_assignment" not in rb.state.created          # not ours: clean-up leaves it


def test_a_credential_whose_issuer_lacks_the_trailing_slash_is_reported(rb, admin):
    rb.enable_workload_identity()
    rb.create_managed_identity()
    issuer = rb.clients.aks.managed_clusters.get("myResourceGroup", "myAKSCluster").oidc_issuer_profile.issuer_url
    from azure.mgmt.msi.models import FederatedIdentityCredential
    rb.clients.msi.federated_identity_credentials.create_or_update(
        "myResourceGroup", "myIdentity", "myFedIdentity", FederatedIdentityCredential(
            issuer=issuer.rstrip("/"), subject=rb.params.subject, audiences=["api://AzureADTokenExchange"]))
    admin.clear_requests()
    r = rb.create_federated_credential()
    assert r.status == "failed" and [c.name for c in r.checks if not c.ok] == ["issuer matches"]
    assert admin.mutating() == []


def test_a_lost_state_file_is_rediscovered_from_azure(rb, admin):
    rb.discover()
    rb.enable_workload_identity()
    rb.create_managed_identity()
    rb.state.path.unlink()
    fresh_kernel = keyless.init(rb.params, emulator=rb.clients.emulator)
    admin.clear_requests()
    r = fresh_kernel.create_federated_credential()
    assert r.status == "created" and r["issuer"].endswith("/"), repr(r)
    assert fresh_kernel.state.discovered["client_id"]          # read back from Resource Manager
    assert [m.split("?")[0].rsplit("/", 2)[-2] for m in admin.mutating()] == ["federatedIdentityCredentials"]


def test_a_slow_cluster_update_reports_progress_and_follows_the_servers_retry_after(rb, admin):
    from datetime import datetime

    from keyless.steps import create_federated_credential, enable_workload_identity
    rb.discover()
    admin.latency("realistic", 0.01)
    messages: list[tuple[str, bool]] = []

    def progress(message: str, detail: bool = False) -> None:
        messages.append((message, detail))

    r = enable_workload_identity(rb.clients, rb.params, rb.state, progress=progress)
    assert r.status == "updated"
    assert messages[0] == ("updating myAKSCluster: enabling the OIDC issuer and workload identity (this can take "
                           "minutes on Azure)", False)
    rb.create_managed_identity()
    assert create_federated_credential(rb.clients, rb.params, rb.state, progress=progress).status == "created"
    assert ("waiting for the update of myAKSCluster started in notebook 01", True) in messages
    polls = [datetime.fromisoformat(x["time"][:26]) for x in admin.requests() if "/operations/" in x["path"]]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(polls)]
    # several polls, paced by the server's Retry-After (seconds), not the SDK's 30 s default
    assert len(polls) >= 2 and max(gaps) < 30, gaps


def test_clean_up_removes_the_rest_while_the_cluster_update_turning_workload_identity_off_runs(rb, admin):
    """The longest removal is sent first and left running: the deletes come between the cluster PUT and
    the operation's last poll (3 s of update is the window; nothing is timed), and it is waited for last."""
    azure_side(rb)
    slow_cluster_updates(admin, 3)
    admin.clear_requests()
    lines: list[str] = []
    rb.progress = lambda message, detail=False: lines.append(message) if not detail else None
    done = rb.clean_up()
    assert done.ok, repr(done)
    log = admin.requests()
    put = next(x["seq"] for x in log if x["method"] == "PUT" and "managedClusters" in x["path"])
    deletes = [x["seq"] for x in log if x["method"] == "DELETE"]
    last_poll = max(x["seq"] for x in log if "/operations/" in x["path"])
    assert len(deletes) == 3 and put < min(deletes) and max(deletes) < last_poll
    assert lines[0] == ("turning workload identity off on the cluster: the update continues in the background "
                        "while the rest is removed")
    assert lines[-1] == "workload identity on the cluster: turned off (the OIDC issuer stays on)"
    assert rb.state.pending == {} and rb.state.created == {}
    mc = rb.clients.aks.managed_clusters.get("myResourceGroup", "myAKSCluster")
    assert mc.provisioning_state == "Succeeded" and not mc.security_profile.workload_identity.enabled


def test_clean_up_run_again_finishes_the_cluster_update_an_interrupted_clean_up_began(rb, admin):
    """What a clean-up killed right after its first write leaves: the update turning workload identity off
    still running, recorded as pending. Run again, clean-up waits for that update instead of sending
    another, removes the rest, and says what turned workload identity off."""
    azure_side(rb)
    slow_cluster_updates(admin, 2)
    assert _start_disabling_workload_identity(rb.clients, rb.params, rb.state)  # the killed clean-up's first write
    assert rb.state.pending["cluster_update"]["purpose"] == "disable"
    workload_identity._LIVE.clear()  # the killed process's poller went with it: resumed from the state file
    admin.clear_requests()
    done = keyless.init(rb.params, emulator=rb.clients.emulator).clean_up()
    assert done.ok, repr(done)
    assert done.checks[-1].name == "workload identity on the cluster"
    assert done.checks[-1].detail == ("turned off by the update an interrupted clean-up began "
                                      "(the OIDC issuer stays on)")
    assert [x for x in admin.requests() if x["method"] == "PUT" and "managedClusters" in x["path"]] == []
    assert keyless.init(rb.params, emulator=rb.clients.emulator).state.created == {}
