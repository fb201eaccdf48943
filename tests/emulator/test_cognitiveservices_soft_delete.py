"""Cognitive Services soft delete, purge and quota through azure-mgmt-cognitiveservices: a deleted
account stays as a deletedAccounts record (name and subdomain taken) until purged, a resource group
delete soft-deletes the accounts in it, and deployments share a regional quota."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

GROUP = "myResourceGroup"
EXAMPLES = Path(__file__).resolve().parent / "arm_examples" / "cognitiveservices"
MODEL = {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}


def raw(pipeline_response, deserialized, headers):
    return pipeline_response.http_response.json()


def account_body(subdomain: str, **props) -> dict:
    return {"location": "eastus", "kind": "OpenAI", "sku": {"name": "S0"},
            "properties": {"customSubDomainName": subdomain, **props}}


def test_a_deleted_account_is_soft_deleted_with_the_example_shape(clients):
    cs = clients.cognitive()
    cs.accounts.begin_create(GROUP, "soft1", account_body("soft1-sub")).result()
    cs.accounts.begin_delete(GROUP, "soft1").result()
    with pytest.raises(ResourceNotFoundError):
        cs.accounts.get(GROUP, "soft1")
    deleted = cs.deleted_accounts.get("eastus", GROUP, "soft1")
    assert (deleted.name, deleted.kind, deleted.properties.custom_sub_domain_name) == ("soft1", "OpenAI", "soft1-sub")
    assert deleted.id == (f"/subscriptions/{clients.info.subscription_id}/providers/Microsoft.CognitiveServices"
                          f"/locations/eastus/resourceGroups/{GROUP}/deletedAccounts/soft1")
    body = cs.deleted_accounts.get("eastus", GROUP, "soft1", cls=raw)
    example = json.loads((EXAMPLES / "GetDeletedAccount.json").read_text())["responses"]["200"]["body"]
    assert set(example) - {"tags"} <= set(body) and body["type"] == example["type"]
    assert body["properties"]["deletionDate"] and body["properties"]["scheduledPurgeDate"]
    assert [d.name for d in cs.deleted_accounts.list()] == ["soft1"]


def test_the_name_and_subdomain_stay_taken_until_purged(clients):
    cs = clients.cognitive()
    cs.accounts.begin_create(GROUP, "soft2", account_body("soft2-sub")).result()
    cs.accounts.begin_delete(GROUP, "soft2").result()
    with pytest.raises(ResourceExistsError) as e:
        cs.accounts.begin_create(GROUP, "soft2", account_body("soft2-other"))
    assert (e.value.status_code, e.value.error.code) == (409, "FlagMustBeSetForRestore")
    assert e.value.error.message.startswith(
        f"An existing resource with ID '/subscriptions/{clients.info.subscription_id}/resourceGroups/{GROUP}/providers"
        "/Microsoft.CognitiveServices/accounts/soft2' has been soft-deleted.")
    with pytest.raises(ResourceExistsError) as e:
        cs.accounts.begin_create(GROUP, "soft2b", account_body("soft2-sub"))
    assert e.value.error.code == "CustomDomainInUse"
    poller = cs.deleted_accounts.begin_purge("eastus", GROUP, "soft2")
    poller.result()
    statuses = [(r["method"], r["status"]) for r in clients.control.request_log()
                if r["path"].endswith("/deletedAccounts/soft2") and r["method"] == "DELETE"]
    assert statuses == [("DELETE", 202)]
    with pytest.raises(ResourceNotFoundError) as e:
        cs.deleted_accounts.get("eastus", GROUP, "soft2")
    assert e.value.error.code == "ResourceNotFound"
    again = cs.accounts.begin_create(GROUP, "soft2", account_body("soft2-sub")).result()
    assert again.properties.provisioning_state == "Succeeded"


def test_restore_true_brings_a_soft_deleted_account_back(clients):
    cs = clients.cognitive()
    cs.accounts.begin_create(GROUP, "soft3", account_body("soft3-sub")).result()
    cs.accounts.begin_delete(GROUP, "soft3").result()
    back = cs.accounts.begin_create(GROUP, "soft3", account_body("soft3-sub", restore=True)).result()
    assert back.properties.custom_sub_domain_name == "soft3-sub"
    assert list(cs.deleted_accounts.list()) == []


def test_purging_what_was_never_deleted_is_not_found(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        clients.cognitive().deleted_accounts.begin_purge("eastus", GROUP, "never")
    assert (e.value.status_code, e.value.error.code) == (404, "ResourceNotFound")


def test_a_resource_group_delete_soft_deletes_its_accounts(clients):
    clients.resources().resource_groups.begin_delete(GROUP).result()
    cs = clients.cognitive()
    assert [d.name for d in cs.deleted_accounts.list()] == ["myOpenAIAccount"]
    cs.deleted_accounts.begin_purge("eastus", GROUP, "myOpenAIAccount").result()
    assert list(cs.deleted_accounts.list()) == []


def test_deployments_beyond_the_regional_quota_are_insufficient_quota(clients):
    cs = clients.cognitive()
    with pytest.raises(HttpResponseError) as e:
        cs.deployments.begin_create_or_update(GROUP, "myOpenAIAccount", "big",
                                              {"sku": {"name": "Standard", "capacity": 995},
                                               "properties": {"model": MODEL}})
    usage = "Tokens Per Minute (thousands) - gpt-4o-mini"
    assert (e.value.status_code, e.value.error.code) == (400, "InsufficientQuota")
    assert e.value.error.message == (
        f"This operation require 995 new capacity in quota {usage}, which is bigger than the current available "
        f"capacity 990. The current quota usage is 10 and the quota limit is 1000 for quota {usage}.")
    fits = cs.deployments.begin_create_or_update(GROUP, "myOpenAIAccount", "fits",
                                                 {"sku": {"name": "Standard", "capacity": 990},
                                                  "properties": {"model": MODEL}}).result()
    assert fits.sku.capacity == 990


def test_put_deployment_answers_with_the_example_shape(clients):
    example = json.loads((EXAMPLES / "PutDeployment.json").read_text())
    body = clients.cognitive().deployments.begin_create_or_update(
        GROUP, "myOpenAIAccount", "chat", {"sku": {"name": "Standard", "capacity": 1},
                                           "properties": {"model": MODEL}}, cls=raw).result()
    assert set(example["responses"]["200"]["body"]) <= set(body)
    assert set(example["responses"]["200"]["body"]["properties"]) <= set(body["properties"])


def test_account_delete_and_purge_answer_as_the_official_examples(clients):
    """202 with the headers DeleteAccount.json and PurgeDeletedAccount.json show (the poller follows them)."""
    cs = clients.cognitive()
    cs.accounts.begin_create(GROUP, "soft4", account_body("soft4-sub")).result()
    seen: list = []

    def hook(response):
        seen.append(response.http_response)

    for name, begin in (("DeleteAccount.json",
                         lambda: cs.accounts.begin_delete(GROUP, "soft4", raw_response_hook=hook)),
                        ("PurgeDeletedAccount.json",
                         lambda: cs.deleted_accounts.begin_purge("eastus", GROUP, "soft4", raw_response_hook=hook))):
        seen.clear()
        begin().result()
        first = seen[0]
        expected = json.loads((EXAMPLES / name).read_text())["responses"]["202"]["headers"]
        assert (first.request.method, first.status_code) == ("DELETE", 202)
        assert set(expected) <= {k.lower() for k in first.headers}
