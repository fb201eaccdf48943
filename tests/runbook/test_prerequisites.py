"""Start from nothing on the emulator through the library: prerequisites build the prerequisite
article's end state from the `empty` scenario (a second run sends no mutating request), the store is
applied with kubectl apply's annotation, quota and model errors are explained, Azure refuses without
confirm_costs, and teardown puts the emulator back to the `empty` snapshot (safe twice, refusing a
group it did not create)."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import store_manifests

import keyless
from keyless.kube import connect
from keyless.results import ABSENT, CREATED, DELETED, FAILED, OK, PLANNED, UNCHANGED

PREREQUISITES = ("create_resource_group", "create_cluster", "create_openai_account", "create_model_deployment",
                 "deploy_store", "wait_for_store_admin")


@pytest.fixture
def empty(fresh, admin):
    """The emulator loaded with the `empty` scenario (a tenant, its subscription, its operator; no resources)."""
    admin.quiet("empty")
    return fresh


@pytest.fixture
def rb(empty, params: keyless.Parameters) -> keyless.Runbook:
    return keyless.init(params, emulator=empty.info)


def build(rb: keyless.Runbook) -> list[keyless.StepResult]:
    return [rb.cost_notice(), *(getattr(rb, step)() for step in PREREQUISITES)]


def comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without the id counters: they only move forward (every id issued stays issued)."""
    snap = copy.deepcopy(snapshot)
    snap.pop("ids", None)
    return snap


def test_prerequisites_build_the_article_end_state_and_a_second_run_sends_nothing(rb, admin):
    first = build(rb)
    assert [r.status for r in first] == [OK, CREATED, CREATED, CREATED, CREATED, CREATED, OK], first
    assert first[3].values["custom_subdomain"].startswith("myopenaiaccount-")
    assert first[2].values["nodes"] == 3
    assert first[6].values["service"] == "default/store-admin"
    assert first[6].values["address"].startswith("127."), first[6]  # the address the kubelet answers on, not a fake
    assert sorted(rb.state.created) == ["cluster", "openai_account", "openai_deployment", "resource_group", "store"]
    found = rb.discover()
    assert found.ok and found.values["cluster"] == "myAKSCluster" and found.values["openai_deployment"] == "gpt-4o-mini"

    admin.clear_requests()
    second = build(rb)
    assert [r.status for r in second] == [OK, UNCHANGED, UNCHANGED, UNCHANGED, UNCHANGED, UNCHANGED, OK], second
    assert admin.mutating() == []


def test_the_store_carries_the_annotation_kubectl_apply_leaves(rb):
    build(rb)
    kube = connect(rb.clients, rb.params.resource_group, "myAKSCluster", rb.params.home)
    dep = kube.api_client.sanitize_for_serialization(kube.apps.read_namespaced_deployment("ai-service", "default"))
    env = {e["name"]: e.get("value") for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
    key = rb.clients.cognitive.accounts.list_keys("myResourceGroup", "myOpenAIAccount").key1
    assert env["OPENAI_API_KEY"] == key and env["AZURE_OPENAI_DEPLOYMENT_NAME"] == "gpt-4o-mini"
    manifest = store_manifests.ai_service(env["AZURE_OPENAI_ENDPOINT"], "gpt-4o-mini", key)[0]
    assert dep["metadata"]["annotations"][store_manifests.LAST_APPLIED] == \
        store_manifests.last_applied_configuration(manifest)
    applied = [m for m in dep["metadata"]["managedFields"] if m["manager"] == store_manifests.APPLY_MANAGER]
    assert [m["operation"] for m in applied] == ["Update"]
    assert f"f:{store_manifests.LAST_APPLIED}" in json.dumps(applied[0]["fieldsV1"])
    # the runbook's redeploy then removes the key, as on AKS
    for step in ("discover", "enable_workload_identity", "create_managed_identity", "assign_openai_role",
                 "create_federated_credential", "create_service_account", "redeploy_app"):
        assert getattr(rb, step)().ok
    dep = kube.api_client.sanitize_for_serialization(kube.apps.read_namespaced_deployment("ai-service", "default"))
    names = [e["name"] for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]]
    assert "OPENAI_API_KEY" not in names
    assert key not in json.dumps(rb.state.data)


def test_a_dry_run_on_nothing_plans_every_create_and_sends_nothing(empty, params, admin):
    rb = keyless.init(params.replace(dry_run=True), emulator=empty.info)
    results = build(rb)
    assert [r.status for r in results] == [OK, PLANNED, PLANNED, PLANNED, PLANNED, PLANNED, PLANNED], results
    assert "create AKS cluster myAKSCluster: 3 node(s)" in results[2].changes
    assert admin.mutating() == []


def test_azure_without_confirm_costs_is_refused_and_nothing_is_sent(rb, admin):
    rb.params = rb.params.replace(target="azure")  # the emulator's clients, as the azure target would be refused
    admin.clear_requests()
    notice = rb.cost_notice()
    assert notice.status == FAILED and notice.values == {"error": "CostsNotConfirmed"}
    assert notice.summary.startswith("refused: the prerequisites create resources Azure bills")
    assert "confirm_costs = True" in notice.hint
    for step in PREREQUISITES:
        result = getattr(rb, step)()
        assert result.status == FAILED and result.values == {"error": "CostsNotConfirmed"}, result
    assert admin.requests() == []
    rb.params = rb.params.replace(confirm_costs=True)
    assert rb.cost_notice().status == OK and rb.create_resource_group().status == CREATED


def test_a_capacity_beyond_the_quota_is_explained(empty, params):
    rb = keyless.init(params.replace(deployment_capacity=2000), emulator=empty.info)
    for step in PREREQUISITES[:3]:
        assert getattr(rb, step)().ok
    result = rb.create_model_deployment()
    assert result.status == FAILED and result.values == {"error": "InsufficientQuota"}
    assert result.summary == (
        "(InsufficientQuota) This operation require 2000 new capacity in quota Tokens Per Minute (thousands) - "
        "gpt-4o-mini, which is bigger than the current available capacity 1000. The current quota usage is 0 and "
        "the quota limit is 1000 for quota Tokens Per Minute (thousands) - gpt-4o-mini.")
    assert "lower deployment_capacity" in result.hint and "quotaincrease" in result.hint


def test_a_model_version_the_region_does_not_offer_is_explained(empty, params):
    rb = keyless.init(params.replace(model_version="1999-01-01"), emulator=empty.info)
    for step in PREREQUISITES[:3]:
        assert getattr(rb, step)().ok
    result = rb.create_model_deployment()
    assert result.status == FAILED and result.values == {"error": "DeploymentModelNotSupported"}
    assert result.summary == ("(DeploymentModelNotSupported) The model 'Format:OpenAI,Name:gpt-4o-mini,"
                              "Version:1999-01-01' is not supported.")
    assert "model_name and model_version" in result.hint


def test_teardown_returns_to_the_empty_snapshot_and_is_safe_twice(rb, admin):
    admin.latency("instant")
    before = comparable(admin.snapshot())
    assert all(r.ok for r in build(rb))
    gone = rb.delete_resource_group()
    assert gone.status == DELETED, gone
    assert [a.name for a in rb.clients.cognitive.deleted_accounts.list()] == ["myOpenAIAccount"]
    purged = rb.purge_openai_accounts()
    assert purged.status == DELETED and purged.checks[0].detail == "purged"
    assert comparable(admin.snapshot()) == before
    admin.clear_requests()
    assert [rb.delete_resource_group().status, rb.purge_openai_accounts().status] == [ABSENT, ABSENT]
    assert admin.mutating() == []
    # after a teardown the same names can be built again (the subdomain was freed by the purge)
    assert [r.status for r in build(rb)][1:6] == [CREATED] * 5


def test_teardown_refuses_a_group_prerequisites_did_not_create(fresh, params, admin):
    rb = keyless.init(params, emulator=fresh.info)  # before-you-begin: the group exists, the state file is new
    refused = rb.delete_resource_group()
    assert refused.status == FAILED
    assert refused.summary.startswith("refused: the resource group myResourceGroup was not created by the "
                                      "prerequisites notebook")
    assert "delete_unowned_group = True" in refused.hint
    assert admin.mutating() == []
    told = keyless.init(params.replace(delete_unowned_group=True), emulator=fresh.info)
    planned = keyless.init(params.replace(delete_unowned_group=True, dry_run=True), emulator=fresh.info)
    assert planned.delete_resource_group().status == PLANNED and admin.mutating() == []
    assert told.delete_resource_group().status == DELETED
    assert told.purge_openai_accounts().status == DELETED
