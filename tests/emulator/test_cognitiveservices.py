"""Microsoft.CognitiveServices through azure-mgmt-cognitiveservices: accounts, keys, deployments."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from keyless_emulator.arm.authorization.models import seed_assignment

GROUP, ACCOUNT, DEPLOYMENT = "myResourceGroup", "myOpenAIAccount", "gpt-4o-mini"
EXAMPLES = Path(__file__).resolve().parent / "arm_examples" / "cognitiveservices"


def raw(pipeline_response, deserialized, headers):
    """`cls=` hook: the JSON body exactly as it came over the wire."""
    return pipeline_response.http_response.json()


def example_body(name: str) -> dict:
    body = json.loads((EXAMPLES / name).read_text())["responses"]["200"]["body"]
    return body["value"][0] if "value" in body else body


def keys_of(d: dict) -> set[str]:
    return set(d)


@pytest.fixture
def cognitive_as(fresh, clients):
    """A CognitiveServicesManagementClient signed in as a new principal holding `role` at `scope`
    (no role at all when role is None)."""
    def make(role: str | None, scope: str | None = None):
        state = fresh.backend.state
        p = state.add_principal(fresh.info.tenant_id, f"cs-{uuid.uuid4().hex[:8]}", has_secret=True)
        if role:
            seed_assignment(state, scope, p.object_id, role)
        return clients.cognitive(credential=clients.credential(client_id=p.app_id,
                                                               client_secret=state.client_secret(p)))
    return make


def account_scope(clients) -> str:
    return f"{clients.group_id()}/providers/Microsoft.CognitiveServices/accounts/{ACCOUNT}"


def new_account_body(subdomain: str, **props) -> dict:
    return {"location": "eastus", "kind": "OpenAI", "sku": {"name": "S0"},
            "properties": {"customSubDomainName": subdomain, **props}}


# -- accounts ------------------------------------------------------------------------------------
def test_seeded_account_is_an_openai_account_with_its_emulated_endpoint(clients):
    a = clients.cognitive().accounts.get(GROUP, ACCOUNT)
    assert (a.kind, a.sku.name, a.location, a.properties.provisioning_state) == ("OpenAI", "S0", "eastus", "Succeeded")
    sub = a.properties.custom_sub_domain_name
    assert sub.startswith("myopenaiaccount-")
    assert a.properties.endpoint == f"{clients.info.url}/aoai/{sub}/"
    assert a.properties.endpoints["OpenAI Language Model Instance API"] == a.properties.endpoint
    assert a.properties.disable_local_auth is False


def test_account_wire_shape_covers_the_official_example(clients):
    body = clients.cognitive().accounts.get(GROUP, ACCOUNT, cls=raw)
    example = example_body("GetAccount.json")
    assert keys_of(example) <= keys_of(body)
    assert keys_of(example["properties"]) <= keys_of(body["properties"])


def test_list_accounts_by_group_and_subscription(clients):
    cs = clients.cognitive()
    assert [a.name for a in cs.accounts.list_by_resource_group(GROUP)] == [ACCOUNT]
    assert [a.id for a in cs.accounts.list()] == [account_scope(clients)]


def test_missing_account_is_resource_not_found(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        clients.cognitive().accounts.get(GROUP, "nope")
    assert e.value.error.code == "ResourceNotFound"
    assert e.value.error.message.startswith(
        "The Resource 'Microsoft.CognitiveServices/accounts/nope' under resource group 'myResourceGroup' was not "
        "found.")


def test_account_in_a_missing_group(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        clients.cognitive().accounts.get("nope", ACCOUNT)
    assert e.value.error.code == "ResourceGroupNotFound"


def test_create_and_delete_an_account_with_the_real_poller(clients):
    cs = clients.cognitive()
    created = cs.accounts.begin_create(GROUP, "acct2", new_account_body("acct2-sub", disableLocalAuth=True)).result()
    assert created.properties.provisioning_state == "Succeeded"
    assert created.properties.endpoint == f"{clients.info.url}/aoai/acct2-sub/"
    assert created.properties.disable_local_auth is True
    statuses = [(r["method"], r["status"]) for r in clients.control.request_log()
                if r["path"].endswith("/accounts/acct2")]
    assert statuses[0] == ("PUT", 201)
    cs.accounts.begin_delete(GROUP, "acct2").result()
    with pytest.raises(ResourceNotFoundError):
        cs.accounts.get(GROUP, "acct2")


def test_account_shows_creating_until_the_operation_settles(clients):
    clients.control.call("PUT", "/latency",
                         {"profile": "instant", "overrides": {"microsoft.cognitiveservices/accounts:put": 60}})
    poller = clients.cognitive().accounts.begin_create(GROUP, "slow", new_account_body("slow-sub"))
    assert clients.cognitive().accounts.get(GROUP, "slow").properties.provisioning_state == "Creating"
    assert poller.status() == "InProgress"


def test_subdomain_already_used_is_custom_domain_in_use(clients):
    taken = clients.cognitive().accounts.get(GROUP, ACCOUNT).properties.custom_sub_domain_name
    with pytest.raises(ResourceExistsError) as e:
        clients.cognitive().accounts.begin_create(GROUP, "other", new_account_body(taken))
    assert e.value.status_code == 409 and e.value.error.code == "CustomDomainInUse"


@pytest.mark.parametrize("subdomain", ["-bad", "bad_", "a", "x" * 65])
def test_invalid_subdomain_is_refused(clients, subdomain):
    with pytest.raises(HttpResponseError) as e:
        clients.cognitive().accounts.begin_create(GROUP, "other", new_account_body(subdomain))
    assert (e.value.status_code, e.value.error.code) == (400, "BadRequest")
    assert "properties.customSubDomainName" in e.value.error.message


def test_subdomain_cannot_change_once_set(clients):
    with pytest.raises(HttpResponseError) as e:
        clients.cognitive().accounts.begin_update(GROUP, ACCOUNT, {"properties": {"customSubDomainName": "newname"}})
    assert (e.value.status_code, e.value.error.code) == (400, "BadRequest")


def test_unsupported_kind_and_missing_sku_are_refused(clients):
    cs = clients.cognitive()
    with pytest.raises(HttpResponseError) as e:
        cs.accounts.begin_create(GROUP, "face", {"location": "eastus", "kind": "Face", "sku": {"name": "S0"}})
    assert (e.value.status_code, e.value.error.code) == (400, "BadRequest") and "kind" in e.value.error.message
    with pytest.raises(HttpResponseError) as e:
        cs.accounts.begin_create(GROUP, "nosku", {"location": "eastus", "kind": "OpenAI"})
    assert (e.value.status_code, e.value.error.code) == (400, "InvalidRequestContent")
    assert "sku.name" in e.value.error.message


@pytest.mark.parametrize("name", ["bad name", "a", "my.account", "my_account", "account-"])
def test_invalid_account_name_is_refused(clients, name):
    with pytest.raises(HttpResponseError) as e:
        clients.cognitive().accounts.begin_create(GROUP, name, new_account_body("okname"))
    assert (e.value.status_code, e.value.error.code) == (400, "InvalidResourceName")
    assert e.value.error.message.startswith(f"Resource name '{name}' is invalid for type "
                                            "'Microsoft.CognitiveServices/accounts'.")


def test_account_name_of_letters_digits_and_inner_hyphens_is_accepted(clients):
    created = clients.cognitive().accounts.begin_create(GROUP, "a-1", new_account_body("a-1-sub")).result()
    assert (created.name, created.properties.provisioning_state) == ("a-1", "Succeeded")


def test_moving_an_existing_account_is_refused(clients):
    body = new_account_body(clients.cognitive().accounts.get(GROUP, ACCOUNT).properties.custom_sub_domain_name)
    body["location"] = "westus"
    with pytest.raises(ResourceExistsError) as e:
        clients.cognitive().accounts.begin_create(GROUP, ACCOUNT, body)
    assert e.value.error.code == "InvalidResourceLocation"


def test_deleting_an_account_removes_its_role_assignments(clients, fresh):
    state = fresh.backend.state
    p = state.add_principal(clients.info.tenant_id, "to-be-orphaned", has_secret=False)
    seed_assignment(state, account_scope(clients), p.object_id, "Cognitive Services OpenAI User")
    clients.cognitive().accounts.begin_delete(GROUP, ACCOUNT).result()
    listed = clients.auth().role_assignments.list_for_subscription(filter=f"principalId eq '{p.object_id}'")
    assert list(listed) == []


# -- keys -----------------------------------------------------------------------------------------
def test_list_keys_while_local_auth_is_enabled(clients):
    keys = clients.cognitive().accounts.list_keys(GROUP, ACCOUNT)
    assert len(keys.key1) == 32 and len(keys.key2) == 32 and keys.key1 != keys.key2
    assert clients.cognitive().accounts.list_keys(GROUP, ACCOUNT).key1 == keys.key1


def test_regenerate_key_replaces_only_that_key(clients):
    cs = clients.cognitive()
    before = cs.accounts.list_keys(GROUP, ACCOUNT)
    after = cs.accounts.regenerate_key(GROUP, ACCOUNT, "Key1")
    assert after.key1 != before.key1 and after.key2 == before.key2
    with pytest.raises(HttpResponseError) as e:
        cs.accounts.regenerate_key(GROUP, ACCOUNT, "Key3")
    assert (e.value.status_code, e.value.error.code) == (400, "BadRequest")


def test_disabling_local_auth_with_patch_then_list_keys_is_refused(clients):
    cs = clients.cognitive()
    updated = cs.accounts.begin_update(GROUP, ACCOUNT, {"properties": {"disableLocalAuth": True}}).result()
    assert updated.properties.disable_local_auth is True
    assert cs.accounts.get(GROUP, ACCOUNT).properties.disable_local_auth is True
    with pytest.raises(HttpResponseError) as e:
        cs.accounts.list_keys(GROUP, ACCOUNT)
    assert (e.value.status_code, e.value.error.code) == (400, "BadRequest")
    assert e.value.error.message == "Failed to list key. disableLocalAuth is set to be true"


def test_patch_keeps_what_it_does_not_mention(clients):
    cs = clients.cognitive()
    before = cs.accounts.get(GROUP, ACCOUNT)
    after = cs.accounts.begin_update(GROUP, ACCOUNT, {"tags": {"env": "workshop"}}).result()
    assert after.tags == {"env": "workshop"}
    assert after.properties.custom_sub_domain_name == before.properties.custom_sub_domain_name
    assert after.properties.disable_local_auth is False


def test_openai_user_may_read_the_account_but_not_list_its_keys(clients, cognitive_as):
    cs = cognitive_as("Cognitive Services OpenAI User", account_scope(clients))
    assert cs.accounts.get(GROUP, ACCOUNT).name == ACCOUNT
    assert [a.name for a in cs.accounts.list_by_resource_group(GROUP)] == [ACCOUNT]
    with pytest.raises(HttpResponseError) as e:
        cs.accounts.list_keys(GROUP, ACCOUNT)
    assert (e.value.status_code, e.value.error.code) == (403, "AuthorizationFailed")
    assert "Microsoft.CognitiveServices/accounts/listKeys/action" in e.value.error.message


def test_cognitive_services_user_may_list_keys(clients, cognitive_as):
    cs = cognitive_as("Cognitive Services User", account_scope(clients))
    assert cs.accounts.list_keys(GROUP, ACCOUNT).key1 == clients.cognitive().accounts.list_keys(GROUP, ACCOUNT).key1


def test_principal_without_roles_may_not_list_accounts(clients, cognitive_as):
    cs = cognitive_as(None)
    with pytest.raises(HttpResponseError) as e:
        list(cs.accounts.list_by_resource_group(GROUP))
    assert (e.value.status_code, e.value.error.code) == (403, "AuthorizationFailed")
    with pytest.raises(HttpResponseError) as e:
        cs.accounts.get(GROUP, ACCOUNT)
    assert (e.value.status_code, e.value.error.code) == (403, "AuthorizationFailed")


def test_reader_may_not_change_the_account(clients, cognitive_as):
    cs = cognitive_as("Reader", clients.group_id())
    with pytest.raises(HttpResponseError) as e:
        cs.accounts.begin_update(GROUP, ACCOUNT, {"properties": {"disableLocalAuth": True}})
    assert (e.value.status_code, e.value.error.code) == (403, "AuthorizationFailed")


# -- deployments -----------------------------------------------------------------------------------
def test_seeded_deployment_as_the_article_lists_it(clients):
    deployments = list(clients.cognitive().deployments.list(GROUP, ACCOUNT))
    assert [d.name for d in deployments] == [DEPLOYMENT]
    d = deployments[0]
    assert (d.properties.model.format, d.properties.model.name, d.properties.model.version) == \
        ("OpenAI", "gpt-4o-mini", "2024-07-18")
    assert d.properties.provisioning_state == "Succeeded" and d.sku.name == "Standard"


def test_deployment_wire_shape_covers_the_official_example(clients):
    body = clients.cognitive().deployments.get(GROUP, ACCOUNT, DEPLOYMENT, cls=raw)
    example = example_body("GetDeployment.json")
    assert keys_of(example) <= keys_of(body)
    assert keys_of(example["properties"]) <= keys_of(body["properties"])
    assert keys_of(example["properties"]["model"]) <= keys_of(body["properties"]["model"])


def test_create_update_and_delete_a_deployment(clients):
    cs = clients.cognitive()
    body = {"sku": {"name": "GlobalStandard", "capacity": 5},
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}}}
    created = cs.deployments.begin_create_or_update(GROUP, ACCOUNT, "chat", body).result()
    assert (created.properties.provisioning_state, created.sku.capacity) == ("Succeeded", 5)
    body["sku"]["capacity"] = 8
    assert cs.deployments.begin_create_or_update(GROUP, ACCOUNT, "chat", body).result().sku.capacity == 8
    assert sorted(d.name for d in cs.deployments.list(GROUP, ACCOUNT)) == ["chat", DEPLOYMENT]
    cs.deployments.begin_delete(GROUP, ACCOUNT, "chat").result()
    with pytest.raises(ResourceNotFoundError) as e:
        cs.deployments.get(GROUP, ACCOUNT, "chat")
    assert e.value.error.code == "ResourceNotFound"


def test_unsupported_model_is_refused(clients):
    body = {"sku": {"name": "Standard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "1999-01-01"}}}
    with pytest.raises(HttpResponseError) as e:
        clients.cognitive().deployments.begin_create_or_update(GROUP, ACCOUNT, "old", body)
    assert (e.value.status_code, e.value.error.code) == (400, "DeploymentModelNotSupported")
    assert e.value.error.message == "The model 'Format:OpenAI,Name:gpt-4o,Version:1999-01-01' is not supported."


def test_deployment_sku_and_capacity_are_validated(clients):
    cs = clients.cognitive()
    model = {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}
    with pytest.raises(HttpResponseError) as e:
        cs.deployments.begin_create_or_update(GROUP, ACCOUNT, "d",
                                              {"sku": {"name": "Premium"}, "properties": {"model": model}})
    assert (e.value.status_code, e.value.error.code) == (400, "InvalidResourceProperties")
    with pytest.raises(HttpResponseError) as e:
        cs.deployments.begin_create_or_update(GROUP, ACCOUNT, "d", {"sku": {"name": "Standard", "capacity": 0},
                                                                    "properties": {"model": model}})
    assert (e.value.status_code, e.value.error.code) == (400, "BadRequest") and "sku.capacity" in e.value.error.message


def test_deployment_under_a_missing_account(clients):
    body = {"sku": {"name": "Standard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}}}
    with pytest.raises(ResourceNotFoundError) as e:
        clients.cognitive().deployments.begin_create_or_update(GROUP, "ghost", "d", body)
    assert e.value.error.code == "ParentResourceNotFound"
    with pytest.raises(ResourceNotFoundError) as e:
        list(clients.cognitive().deployments.list(GROUP, "ghost"))
    assert e.value.error.code == "ResourceNotFound"


def test_openai_user_may_read_deployments_but_not_create_them(clients, cognitive_as):
    cs = cognitive_as("Cognitive Services OpenAI User", account_scope(clients))
    assert [d.name for d in cs.deployments.list(GROUP, ACCOUNT)] == [DEPLOYMENT]
    body = {"sku": {"name": "Standard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}}}
    with pytest.raises(HttpResponseError) as e:
        cs.deployments.begin_create_or_update(GROUP, ACCOUNT, "d", body)
    assert (e.value.status_code, e.value.error.code) == (403, "AuthorizationFailed")


def test_put_again_updates_and_answers_200(clients):
    cs = clients.cognitive()
    sub = cs.accounts.get(GROUP, ACCOUNT).properties.custom_sub_domain_name
    body = new_account_body(sub)
    body["tags"] = {"team": "store"}
    updated = cs.accounts.begin_create(GROUP, ACCOUNT, body).result()
    assert updated.tags == {"team": "store"} and updated.properties.internal_id
    statuses = [(r["method"], r["status"]) for r in clients.control.request_log()
                if r["path"].endswith(f"/accounts/{ACCOUNT}") and r["method"] == "PUT"]
    assert statuses == [("PUT", 200)]


def test_changing_an_account_while_it_is_provisioning_is_a_conflict(clients):
    clients.control.call("PUT", "/latency",
                         {"profile": "instant", "overrides": {"microsoft.cognitiveservices/accounts:put": 60}})
    cs = clients.cognitive()
    cs.accounts.begin_create(GROUP, "busy", new_account_body("busy-sub"))
    with pytest.raises(ResourceExistsError) as e:
        cs.accounts.begin_update(GROUP, "busy", {"tags": {"a": "b"}})
    assert e.value.error.code == "RequestConflict"


def test_put_replaces_what_patch_would_keep(clients):
    cs = clients.cognitive()
    sub = cs.accounts.get(GROUP, ACCOUNT).properties.custom_sub_domain_name
    cs.accounts.begin_update(GROUP, ACCOUNT, {"properties": {"disableLocalAuth": True}}).result()
    replaced = cs.accounts.begin_create(GROUP, ACCOUNT,
                                        {"location": "eastus", "kind": "OpenAI", "sku": {"name": "S0"}}).result()
    assert replaced.properties.disable_local_auth is False
    assert replaced.properties.custom_sub_domain_name == sub


@pytest.mark.parametrize("path, body, code", [
    ("/accounts/x2", {"location": "eastus", "kind": "OpenAI", "sku": {"name": "S0"}, "tags": "oops"}, "BadRequest"),
    ("/accounts/x2", ["not", "an", "object"], "InvalidRequestContent"),
    (f"/accounts/{ACCOUNT}/deployments/d", {"sku": {"name": "Standard"},
                                            "properties": {"model": {"name": {"x": 1}, "version": 1}}},
     "DeploymentModelNotSupported"),
    (f"/accounts/{ACCOUNT}/deployments/d", {"sku": {"name": "Standard"}, "properties": {"model": "gpt"}},
     "InvalidRequestContent"),
])
def test_malformed_bodies_are_400_not_500(clients, path, body, code):
    import requests

    token = clients.cred.get_token("https://management.azure.com/.default").token
    url = f"{clients.info.url}{clients.group_id()}/providers/Microsoft.CognitiveServices{path}?api-version=2025-09-01"
    r = requests.put(url, json=body, headers={"Authorization": f"Bearer {token}"}, verify=clients.verify)
    assert (r.status_code, r.json()["error"]["code"]) == (400, code)
