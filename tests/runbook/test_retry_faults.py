"""The runbook holds under the faults a real cloud throws (keyless.retry), driven by the emulator's
fault injection through the real clients: Kubernetes 429/500/dropped connections on the
ServiceAccount create and the Deployment patch, dropped Resource Manager answers on the cluster
update and on listClusterUserCredential, concurrent federated-credential writes on one identity.
A lost answer of an applied change is read back, never sent twice; what outlasts the retries is
explained in plain words."""
from __future__ import annotations

import threading

import pytest

import keyless
from keyless import retry

# clean-up's line for key access, naming what it cannot undo (the regenerated keys)
KEYS_BACK_ON = ("[PASS] key access on myOpenAIAccount: turned back on (the keys 06 regenerated stay: a key cannot be "
                "put back)\n")
SA_POSTS = "/namespaces/default/serviceaccounts$"
CLUSTER = "managedClusters/myAKSCluster$"
CREDENTIAL = "managedClusters/myAKSCluster/listClusterUserCredential"


def up_to_federation(rb: keyless.Runbook) -> None:
    for step in ("discover", "enable_workload_identity", "create_managed_identity", "assign_openai_role",
                 "create_federated_credential"):
        assert getattr(rb, step)().ok


def _logged(admin, method: str, needle: str) -> list[dict]:
    return [r for r in admin.requests() if r["method"] == method and r["path"].endswith(needle)]


@pytest.mark.parametrize("fault", [
    {"status": 429, "code": "TooManyRequests", "retry_after": 1},
    {"status": 500, "code": "InternalError"},
    {"drop": True},
], ids=["429", "500", "drop"])
def test_a_kubernetes_fault_on_the_service_account_create_is_retried(rb, admin, fault):
    up_to_federation(rb)
    admin.clear_requests()
    admin.faults({"route": SA_POSTS, "method": "POST", "count": 2, **fault})
    r = rb.create_service_account()
    assert r.status == "created", repr(r)
    posts = _logged(admin, "POST", "/serviceaccounts")
    assert len(posts) == 3 and posts[-1]["status"] == 201
    assert [p["dropped"] for p in posts] == ([True, True, False] if fault.get("drop") else [False] * 3)


def test_a_lost_answer_of_an_applied_create_is_read_back_not_sent_again(rb, admin):
    up_to_federation(rb)
    admin.clear_requests()
    admin.faults({"route": SA_POSTS, "method": "POST", "drop": True, "applied": True, "count": 1})
    r = rb.create_service_account()
    assert r.status == "created", repr(r)
    assert [(p["status"], p["dropped"]) for p in _logged(admin, "POST", "/serviceaccounts")] == [(201, True)]
    assert _logged(admin, "GET", "/serviceaccounts/ai-service-account")[-1]["status"] == 200
    assert rb.state.created["service_account"] == {"namespace": "default", "name": "ai-service-account"}


@pytest.mark.parametrize("fault", [{"status": 500, "code": "InternalError"}, {"drop": True},
                                   {"drop": True, "applied": True}], ids=["500", "drop", "drop-applied"])
def test_a_kubernetes_fault_on_the_deployment_patch_is_retried(rb, admin, fault):
    up_to_federation(rb)
    assert rb.create_service_account().ok
    admin.faults({"route": "/deployments/ai-service$", "method": "PATCH", "count": 1, **fault})
    r = rb.redeploy_app()
    assert r.status == "updated", repr(r)
    patches = _logged(admin, "PATCH", "/deployments/ai-service")
    assert patches[0]["dropped"] == bool(fault.get("drop")) and patches[-1]["status"] == 200


def test_a_lost_answer_of_clean_ups_applied_deployment_replace_is_read_back_not_sent_again(rb, admin):
    """Sent again, the replace would carry the resourceVersion it was read at and meet a 409 Conflict."""
    up_to_federation(rb)
    assert rb.create_service_account().ok and rb.redeploy_app().ok
    admin.clear_requests()
    admin.faults({"route": "/deployments/ai-service$", "method": "PUT", "drop": True, "applied": True, "count": 1})
    r = rb.clean_up()
    assert r.ok, repr(r)
    assert [(p["status"], p["dropped"]) for p in _logged(admin, "PUT", "/deployments/ai-service")] == [(200, True)]
    assert _logged(admin, "GET", "/deployments/ai-service")[-1]["status"] == 200
    assert "[PASS] Deployment ai-service: restored\n" in repr(r)
    dep = rb.clients._kube["myresourcegroup/myakscluster"].apps.read_namespaced_deployment("ai-service", "default")
    assert "USE_AZURE_AD" not in {e.name for e in dep.spec.template.spec.containers[0].env}


def test_clean_up_reads_the_deployment_again_when_its_replace_meets_a_conflict(rb, admin):
    """Another write (the Deployment controller's status update) lands between clean-up's read and its replace:
    the API server answers 409 Conflict; clean-up reads the Deployment again and replaces it at that version."""
    up_to_federation(rb)
    assert rb.create_service_account().ok and rb.redeploy_app().ok
    admin.clear_requests()
    admin.faults({"route": "/deployments/ai-service$", "method": "PUT", "status": 409, "code": "Conflict",
                  "count": 1})
    r = rb.clean_up()
    assert r.ok, repr(r)
    assert [p["status"] for p in _logged(admin, "PUT", "/deployments/ai-service")] == [409, 200]
    assert len(_logged(admin, "GET", "/deployments/ai-service")) >= 2  # read again before the second replace
    assert "[PASS] Deployment ai-service: restored\n" in repr(r)
    dep = rb.clients._kube["myresourcegroup/myakscluster"].apps.read_namespaced_deployment("ai-service", "default")
    assert "USE_AZURE_AD" not in {e.name for e in dep.spec.template.spec.containers[0].env}


def test_clean_up_says_deleted_when_a_lost_delete_answer_reads_back_gone_and_absent_when_nothing_was_there(rb, admin):
    """The deletes of the ServiceAccount, the federated credential and the identity lose their answers
    after they were applied: each is read back (found gone) and not sent again, and reported as
    deleted. The role assignment was removed by someone else first: Resource Manager answers 204, and
    clean-up reports it absent."""
    up_to_federation(rb)
    assert rb.create_service_account().ok
    ra_id = rb.state.created["role_assignment"]
    rb.clients.authorization.role_assignments.delete_by_id(ra_id)
    admin.clear_requests()
    admin.faults(*({"route": route, "method": "DELETE", "drop": True, "applied": True, "count": 1}
                   for route in ("/serviceaccounts/ai-service-account$", "/federatedIdentityCredentials/myFedIdentity$",
                                 "/userAssignedIdentities/myIdentity$")))
    r = rb.clean_up()
    assert r.ok, repr(r)
    assert {c.name: c.detail for c in r.checks} == {
        "ServiceAccount ai-service-account": "deleted",
        "federated credential myFedIdentity": "deleted",
        f"role assignment {ra_id.rsplit('/', 1)[1]}": "absent",
        "managed identity myIdentity": "deleted",
        "workload identity on the cluster": "turned off (the OIDC issuer stays on)"}
    for needle in ("/serviceaccounts/ai-service-account", "/federatedIdentityCredentials/myFedIdentity",
                   "/userAssignedIdentities/myIdentity"):
        assert [(d["status"], d["dropped"]) for d in _logged(admin, "DELETE", needle)] == [(200, True)], needle
        assert _logged(admin, "GET", needle)[-1]["status"] == 404, needle
    assert [d["status"] for d in _logged(admin, "DELETE", ra_id.rsplit("/", 1)[1])] == [204]


@pytest.mark.slow
@pytest.mark.parametrize("fault", [{"status": 500, "code": "InternalServerError"}, {"drop": True}],
                         ids=["500", "drop"])
def test_polls_of_the_cluster_update_failing_past_azure_cores_retries_are_followed_by_reading_the_cluster(
        rb, admin, fault):
    """azure-core retries a poll 3 times; the 4th failure stops its poller although the operation goes on.
    The step waiting for the update then reads the cluster until it settles instead of failing."""
    rb.discover()
    admin.call("PUT", "/latency", {"profile": "instant",
                                   "overrides": {"microsoft.containerservice/managedclusters:put": 2.0}})
    assert rb.enable_workload_identity().status == "updated"
    admin.faults({"route": "/operations/", "method": "GET", "count": 8, **fault})
    rb.create_managed_identity()
    rb.assign_openai_role()
    r = rb.create_federated_credential()  # waits for the update 01 left running
    assert r.status == "created", repr(r)
    assert admin.get_faults()[0]["fired"] >= 4
    assert rb.state.pending == {} and rb.state.discovered["issuer_url"].startswith("https://")
    mc = rb.clients.aks.managed_clusters.get("myResourceGroup", "myAKSCluster")
    assert mc.provisioning_state == "Succeeded" and mc.security_profile.workload_identity.enabled


@pytest.mark.parametrize("applied", [False, True], ids=["before", "applied"])
def test_a_dropped_answer_on_the_cluster_update_is_retried_or_read_back(rb, admin, applied):
    rb.discover()
    admin.clear_requests()
    admin.faults({"route": CLUSTER, "method": "PUT", "drop": True, "applied": applied, "count": 1})
    r = rb.enable_workload_identity()
    assert r.status == "updated", repr(r)
    again = rb.enable_workload_identity()  # follows the update it left running (a lost answer: by reading back)
    assert again.status == "unchanged" and again["issuer_url"].startswith("https://")
    puts = _logged(admin, "PUT", "managedClusters/myAKSCluster")
    assert len(puts) == (1 if applied else 2)                # an applied update is followed, never re-sent
    mc = rb.clients.aks.managed_clusters.get("myResourceGroup", "myAKSCluster")
    assert mc.provisioning_state == "Succeeded" and mc.security_profile.workload_identity.enabled


def test_a_dropped_answer_on_list_cluster_user_credential_is_retried(rb, admin):
    up_to_federation(rb)
    admin.faults({"route": CREDENTIAL, "method": "POST", "drop": True, "count": 2})
    r = rb.create_service_account()
    assert r.status == "created", repr(r)
    assert [p["dropped"] for p in _logged(admin, "POST", "/listClusterUserCredential")] == [True, True, False]


def test_a_fault_that_outlasts_the_retries_is_explained_in_plain_words(rb, admin):
    up_to_federation(rb)
    admin.faults({"route": SA_POSTS, "method": "POST", "drop": True})
    r = rb.create_service_account()
    assert r.status == "failed"
    assert r.get("error") == "ConnectionError"
    assert ("the connection dropped before the answer was complete (IncompleteRead), still failing after "
            f"{retry.DEFAULT.attempts} attempts") in r.summary
    assert "(None)" not in r.summary and "Connection broken" not in r.summary
    assert "running it again is safe" in r.hint
    assert len(_logged(admin, "POST", "/serviceaccounts")) == retry.DEFAULT.attempts


def test_concurrent_credential_writes_on_one_identity_are_serialized_and_retried(rb, admin, params, fresh):
    """Two runbooks whose federated credentials hang under one identity: Azure lets one write at a
    time (409 ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity); both succeed."""
    admin.settings(federation_write_seconds=0.5)
    for step in ("discover", "enable_workload_identity", "create_managed_identity"):
        assert getattr(rb, step)().ok
    other = keyless.init(params.replace(data_dir=str(params.home) + "-other", federated_credential="other-fic",
                                        service_account="other-account"), emulator=fresh.info)
    assert other.discover().ok and other.create_managed_identity().ok
    results: dict[str, keyless.StepResult] = {}
    threads = [threading.Thread(target=lambda n=n, b=b: results.__setitem__(n, b.create_federated_credential()))
               for n, b in (("one", rb), ("two", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [results[n].status for n in ("one", "two")] == ["created", "created"], results
    answers = [x["status"] for x in _logged(admin, "PUT", "") if "/federatedIdentityCredentials/" in x["path"]]
    assert 409 in answers and answers.count(200) + answers.count(201) == 2


def test_two_runbooks_for_different_identities_write_in_parallel(rb, admin, params, fresh):
    admin.settings(federation_write_seconds=0.5)
    for step in ("discover", "enable_workload_identity", "create_managed_identity"):
        assert getattr(rb, step)().ok
    other = keyless.init(params.replace(data_dir=str(params.home) + "-other", identity="otherIdentity",
                                        federated_credential="other-fic", service_account="other-account"),
                         emulator=fresh.info)
    assert other.discover().ok and other.create_managed_identity().ok
    results: dict[str, keyless.StepResult] = {}
    threads = [threading.Thread(target=lambda n=n, b=b: results.__setitem__(n, b.create_federated_credential()))
               for n, b in (("one", rb), ("two", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [results[n].status for n in ("one", "two")] == ["created", "created"], results
    answers = [x["status"] for x in _logged(admin, "PUT", "") if "/federatedIdentityCredentials/" in x["path"]]
    assert 409 not in answers


@pytest.mark.parametrize("fault", [{"status": 503, "code": "ServiceUnavailable", "retry_after": 1}, {"drop": True}],
                         ids=["503", "drop"])
def test_a_fault_on_the_rollout_watch_reopens_it(rb, admin, fault):
    up_to_federation(rb)
    assert rb.create_service_account().ok
    admin.faults({"route": "/namespaces/default/deployments$", "method": "GET", "count": 1, **fault})
    r = rb.redeploy_app()
    assert r.status == "updated", repr(r)
    assert r["rollout"] == "1/1 updated, 1/1 ready, 1 in total"
    watches = _logged(admin, "GET", "/namespaces/default/deployments")
    assert len(watches) >= 2 and watches[0]["status"] in (503, None) and watches[-1]["status"] == 200


@pytest.mark.slow
@pytest.mark.parametrize("applied", [False, True], ids=["drop", "drop-applied"])
def test_a_lost_answer_on_the_key_access_updates_of_06_and_clean_up_is_retried_or_read_back(rb, admin, applied):
    """azure-core does not re-send a PATCH (or a POST action) whose answer was lost: 06's key regeneration and
    key-access update, and clean-up's turning it back on, go through the runbook's retry (the account or its
    keys read back first: an applied one is neither sent nor rotated twice). A 30-attendee run once failed in
    clean-up on such an answer. Runs 01-04 first: 06 refuses to turn keys off before the workload is keyless."""
    for step in ("discover", "enable_workload_identity", "create_managed_identity", "assign_openai_role",
                 "create_federated_credential", "create_service_account", "redeploy_app"):
        assert getattr(rb, step)().ok, repr(rb.results[-1])
    account = "accounts/myOpenAIAccount$"
    admin.faults({"route": "accounts/myOpenAIAccount/regenerateKey$", "method": "POST", "drop": True,
                  "applied": applied, "count": 1},
                 {"route": account, "method": "PATCH", "drop": True, "applied": applied, "count": 1})
    admin.clear_requests()
    locked = rb.disable_key_access()
    assert locked.status == "updated" and locked.ok, repr(locked)
    assert "[PASS] both keys regenerated: key1 and key2 differ from before" in repr(locked), repr(locked)
    posts = [(r["status"], r["dropped"]) for r in _logged(admin, "POST", "/accounts/myOpenAIAccount/regenerateKey")]
    assert posts == ([(200, True), (200, False)] if applied else [(None, True), (200, False), (200, False)]), posts
    patches = [(r["status"], r["dropped"]) for r in _logged(admin, "PATCH", "/accounts/myOpenAIAccount")]
    assert patches == ([(200, True)] if applied else [(None, True), (200, False)]), patches
    assert rb.state.created["local_auth_disabled"] == {"account": "myOpenAIAccount"}

    admin.faults({"route": account, "method": "PATCH", "drop": True, "applied": applied, "count": 1})
    admin.clear_requests()
    done = rb.clean_up()
    assert done.ok and KEYS_BACK_ON in repr(done), repr(done)
    patches = [(r["status"], r["dropped"]) for r in _logged(admin, "PATCH", "/accounts/myOpenAIAccount")]
    assert patches == ([(200, True)] if applied else [(None, True), (200, False)]), patches
    assert rb.clients.cognitive.accounts.get("myResourceGroup", "myOpenAIAccount").properties.disable_local_auth \
        is False


@pytest.mark.slow
def test_06_records_its_intent_before_the_key_access_update_and_clean_up_reads_before_undoing_it(rb, admin):
    """Intent before acting: 06's disableLocalAuth update never answers (every send dropped before the
    service); 06 gives up in words, yet the state file already holds the intent, so a kill at that point
    would leave clean-up knowing; clean-up reads the account, finds key access on and sends nothing."""
    for step in ("discover", "enable_workload_identity", "create_managed_identity", "assign_openai_role",
                 "create_federated_credential", "create_service_account", "redeploy_app"):
        assert getattr(rb, step)().ok, repr(rb.results[-1])
    admin.faults({"route": "accounts/myOpenAIAccount$", "method": "PATCH", "drop": True, "count": 5})
    admin.clear_requests()
    failed = rb.disable_key_access()
    assert not failed.ok and failed.get("error") == "ConnectionError", repr(failed)
    assert repr(failed).startswith("disable-key-access: failed - disableLocalAuth=true on myOpenAIAccount: the "
                                   "connection dropped before the answer was complete (IncompleteRead), still "
                                   "failing after 5 attempts\n"), repr(failed)
    assert [r["dropped"] for r in _logged(admin, "PATCH", "/accounts/myOpenAIAccount")] == [True] * 5
    assert rb.state.created["local_auth_disabled"] == {"account": "myOpenAIAccount"}

    admin.faults()
    admin.clear_requests()
    done = rb.clean_up()
    assert done.ok and "[PASS] key access on myOpenAIAccount: already on (the keys 06 regenerated stay" in repr(done)
    assert _logged(admin, "PATCH", "/accounts/myOpenAIAccount") == []
    assert "local_auth_disabled" not in rb.state.created
