"""Several tenants in one emulator (one per workshop attendee): POST /_emulator/tenants, and
the isolation Entra and Resource Manager give between them.

Isolation, as Azure does it: a token is issued by one tenant's Entra; Resource Manager answers
401 InvalidAuthenticationTokenTenant when the addressed subscription belongs to another tenant
(the token is valid, but from the wrong issuer for that subscription), before any RBAC check.
"""
from __future__ import annotations

import json

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from keyless_emulator import ControlError

from .clients import Clients

ARM_SCOPE = "https://management.azure.com/.default"


def _refusal(clients: Clients, body: object) -> tuple[int, dict]:
    """The control API's refusal of `POST /tenants` with `body`: (status, error)."""
    with pytest.raises(ControlError) as e:
        clients.control.call("POST", "/tenants", body)
    return e.value.status, json.loads(e.value.body)["error"]


@pytest.fixture
def tenant_b(clients: Clients) -> dict:
    return clients.control.add_tenant("fabrikam")


def _b_clients(clients: Clients, tenant_b: dict) -> Clients:
    """Clients whose credential is tenant B's operator (default subscription: B's)."""
    b = Clients(clients.info)
    b.sub = tenant_b["subscription_id"]
    b.cred = b.credential(tenant_b["tenant_id"], tenant_b["client_id"], tenant_b["client_secret"])
    return b


def test_new_tenant_answers_its_operator_credentials(clients, tenant_b):
    assert set(tenant_b) == {"name", "tenant_id", "domain", "subscription_id", "client_id", "client_secret"}
    assert tenant_b["name"] == "fabrikam" and tenant_b["domain"] == "fabrikam.onmicrosoft.com"
    assert tenant_b["tenant_id"] != clients.info.tenant_id
    assert tenant_b["subscription_id"] != clients.info.subscription_id
    assert tenant_b["client_secret"] != clients.info.client_secret


def test_new_tenant_is_seeded_like_before_you_begin(clients, tenant_b):
    b = _b_clients(clients, tenant_b)
    group = b.resources().resource_groups.get("myResourceGroup")
    assert group.id == f"/subscriptions/{tenant_b['subscription_id']}/resourceGroups/myResourceGroup"
    types = {r.type for r in b.resources().resources.list_by_resource_group("myResourceGroup")}
    assert {"Microsoft.ContainerService/managedClusters", "Microsoft.CognitiveServices/accounts"} <= types


def test_tenant_listing_holds_no_secret(clients, tenant_b):
    tenants = clients.control.tenants()
    assert [t["name"] for t in tenants] == ["contoso", "fabrikam"]
    text = json.dumps(tenants)
    assert tenant_b["client_secret"] not in text and clients.info.client_secret not in text


def test_request_log_never_holds_the_new_tenants_secret(clients, tenant_b):
    entries = clients.control.request_log()
    assert tenant_b["client_secret"] not in json.dumps(entries)
    assert any(e["path"] == "/_emulator/tenants" and e["status"] == 201 for e in entries)


def test_duplicate_tenant_name_is_refused(clients, tenant_b):
    status, error = _refusal(clients, {"name": "fabrikam"})
    assert status == 409 and error["code"] == "TenantExists"
    assert _refusal(clients, {"name": "contoso"})[0] == 409


@pytest.mark.parametrize("body", [{"name": "Fabrikam"}, {"name": "a"}, {"name": "-ab"}, {"name": "ab-"},
                                  {"name": "a b"}, {"name": "x" * 41}, {"name": 5}, {}, {"name": "ok", "x": 1}])
def test_bad_tenant_name_is_refused_naming_the_rule(clients, body):
    status, error = _refusal(clients, body)
    assert status == 400 and error["code"] == "InvalidTenant"
    message = error["message"]
    assert ("name must be" in message) or ("unknown fields: x" in message)


def test_adding_a_tenant_needs_control_credentials(clients):
    r = requests.post(clients.info.url + "/_emulator/tenants", json={"name": "intruder"}, verify=clients.verify)
    assert r.status_code == 401


def test_other_tenants_operator_may_not_use_the_control_api(clients, tenant_b):
    token = _b_clients(clients, tenant_b).cred.get_token(ARM_SCOPE).token
    for method, path in (("GET", "/_emulator/snapshot"), ("POST", "/_emulator/reset"),
                         ("POST", "/_emulator/tenants")):
        r = requests.request(method, clients.info.url + path, json={"name": "sneaky"},
                             headers={"Authorization": f"Bearer {token}"}, verify=clients.verify)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "Forbidden"), path


def test_tenant_b_reads_only_its_own_subscription(clients, tenant_b):
    """GET /subscriptions and /tenants (azure-mgmt-resource 26 no longer ships SubscriptionClient)."""
    token = _b_clients(clients, tenant_b).cred.get_token(ARM_SCOPE).token
    headers = {"Authorization": f"Bearer {token}"}
    subs = requests.get(clients.info.url + "/subscriptions", params={"api-version": "2022-12-01"}, headers=headers,
                        verify=clients.verify)
    assert subs.status_code == 200
    assert [s["subscriptionId"] for s in subs.json()["value"]] == [tenant_b["subscription_id"]]
    assert subs.json()["value"][0]["tenantId"] == tenant_b["tenant_id"]
    tenants = requests.get(clients.info.url + "/tenants", params={"api-version": "2022-12-01"}, headers=headers,
                           verify=clients.verify)
    assert [t["tenantId"] for t in tenants.json()["value"]] == [tenant_b["tenant_id"]]


def test_tenant_b_cannot_read_tenant_a_resources(clients, tenant_b):
    b = _b_clients(clients, tenant_b)
    with pytest.raises(HttpResponseError) as e:
        b.resources(subscription=clients.info.subscription_id).resource_groups.get("myResourceGroup")
    assert e.value.status_code == 401
    assert e.value.error.code == "InvalidAuthenticationTokenTenant"
    assert tenant_b["tenant_id"] in e.value.error.message and clients.info.tenant_id in e.value.error.message


def test_tenant_b_cannot_write_in_tenant_a(clients, tenant_b):
    b = _b_clients(clients, tenant_b)
    with pytest.raises(HttpResponseError) as e:
        b.resources(subscription=clients.info.subscription_id).resource_groups.create_or_update(
            "rg-intruder", {"location": "eastus"})
    assert (e.value.status_code, e.value.error.code) == (401, "InvalidAuthenticationTokenTenant")
    assert not clients.resources().resource_groups.check_existence("rg-intruder")


def test_tenant_a_cannot_read_tenant_b_resources(clients, tenant_b):
    with pytest.raises(HttpResponseError) as e:
        clients.resources(subscription=tenant_b["subscription_id"]).resource_groups.get("myResourceGroup")
    assert (e.value.status_code, e.value.error.code) == (401, "InvalidAuthenticationTokenTenant")


def test_tenant_b_cannot_list_keys_of_tenant_a_openai_account(clients, tenant_b):
    b = _b_clients(clients, tenant_b)
    with pytest.raises(HttpResponseError) as e:
        b.cognitive(subscription=clients.info.subscription_id).accounts.list_keys("myResourceGroup",
                                                                                  "myOpenAIAccount")
    assert (e.value.status_code, e.value.error.code) == (401, "InvalidAuthenticationTokenTenant")


def _chat(clients: Clients, endpoint: str, token: str):
    import ssl

    import httpx
    import openai

    trust = ssl.create_default_context(cafile=clients.verify)
    client = openai.AzureOpenAI(azure_endpoint=endpoint, api_version="2024-10-21", azure_ad_token=token,
                                max_retries=0, http_client=httpx.Client(verify=trust))
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])


def test_tenant_b_token_cannot_call_tenant_a_openai_deployment(clients, tenant_b):
    """A token of another tenant is refused as invalid for the account, before any role is looked at."""
    import openai

    endpoint = clients.cognitive().accounts.get("myResourceGroup", "myOpenAIAccount").properties.endpoint
    token = _b_clients(clients, tenant_b).cred.get_token("https://cognitiveservices.azure.com/.default").token
    with pytest.raises(openai.AuthenticationError) as e:
        _chat(clients, endpoint, token)
    assert e.value.status_code == 401
    assert "Access token is missing, invalid, audience is incorrect" in str(e.value)


def test_tenant_b_token_on_its_own_account_meets_rbac_instead(clients, tenant_b):
    """Same call at B's own account: the token is accepted, and B's operator (Owner, no data action) is denied."""
    import openai

    b = _b_clients(clients, tenant_b)
    endpoint = b.cognitive().accounts.get("myResourceGroup", "myOpenAIAccount").properties.endpoint
    token = b.cred.get_token("https://cognitiveservices.azure.com/.default").token
    with pytest.raises(openai.AuthenticationError) as e:
        _chat(clients, endpoint, token)
    assert (e.value.status_code, e.value.code) == (401, "PermissionDenied")
    assert "lacks the required data action" in str(e.value)


def test_client_of_tenant_a_is_unknown_in_tenant_b(clients, tenant_b):
    cred = clients.credential(tenant_b["tenant_id"], clients.info.client_id, clients.info.client_secret)
    with pytest.raises(ClientAuthenticationError) as e:
        cred.get_token(ARM_SCOPE)
    assert "AADSTS700016" in str(e.value) and tenant_b["tenant_id"] in str(e.value)


def test_reset_removes_added_tenants(clients, tenant_b):
    clients.control.call("POST", "/reset", {})  # no scenario named: the default one
    cred = clients.credential(tenant_b["tenant_id"], tenant_b["client_id"], tenant_b["client_secret"])
    with pytest.raises(ClientAuthenticationError):
        cred.get_token(ARM_SCOPE)
    assert [t["name"] for t in clients.control.tenants()] == ["contoso"]
