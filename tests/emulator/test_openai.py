"""The Azure OpenAI data plane through the openai SDK's AzureOpenAI client, trusting only the CA:
Entra tokens with RBAC data actions, API keys and local auth, deployments, and the completion itself."""
from __future__ import annotations

import json
import ssl
import uuid
from pathlib import Path

import httpx
import openai
import pytest
from azure.identity import get_bearer_token_provider
from kit import enable_workload_identity, wait_for

from keyless_emulator.entra.tokens import issue
from keyless_emulator.scenarios import add_tenant

GROUP, ACCOUNT, DEPLOYMENT = "myResourceGroup", "myOpenAIAccount", "gpt-4o-mini"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
API_VERSION = "2024-10-21"
COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
PRODUCT_PROMPT = [
    {"role": "system", "content": "You are a helpful assistant that generates product descriptions using a witty and "
                                  "engaging tone, but make sure to not include any of the tags or the product name in "
                                  "the description."},
    {"role": "user", "content": "Generate a product description for the product 'Catnip Carnival' with the following "
                                "tags: 'cat, toy, catnip'."},
]
PERMISSION_DENIED = ("The principal `{oid}` lacks the required data action "
                     "`Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action` to perform "
                     "`POST /openai/deployments/{{deployment-id}}/chat/completions` operation.")
INVALID_TOKEN = ("Unauthorized. Access token is missing, invalid, audience is incorrect "
                 "(https://cognitiveservices.azure.com), or have expired.")


@pytest.fixture
def endpoint(clients) -> str:
    return clients.cognitive().accounts.get(GROUP, ACCOUNT).properties.endpoint


@pytest.fixture
def principal(fresh):
    """A service principal created directly in the emulator's directory (stands in for the workload's identity)."""
    return fresh.backend.state.add_principal(fresh.info.tenant_id, f"workload-{uuid.uuid4().hex[:8]}", has_secret=True)


@pytest.fixture
def credential_of(fresh, clients):
    def make(p):
        return clients.credential(tenant_id=p.tenant_id, client_id=p.app_id,
                                  client_secret=fresh.backend.state.client_secret(p))
    return make


def http_client(clients) -> openai.DefaultHttpxClient:
    return openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=clients.info.ca_cert))


def aoai(clients, endpoint: str, **auth) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(azure_endpoint=endpoint, api_version=API_VERSION, http_client=http_client(clients),
                              max_retries=0, **auth)


def entra_client(clients, endpoint, credential) -> openai.AzureOpenAI:
    return aoai(clients, endpoint, azure_ad_token_provider=get_bearer_token_provider(credential, COGNITIVE_SCOPE))


def grant_openai_user(clients, principal_id: str, scope: str | None = None):
    scope = scope or f"{clients.group_id()}/providers/Microsoft.CognitiveServices/accounts/{ACCOUNT}"
    body = {"properties": {"principalId": principal_id, "principalType": "ServicePrincipal",
                           "roleDefinitionId": f"/subscriptions/{clients.sub}/providers/Microsoft.Authorization/"
                                               f"roleDefinitions/{OPENAI_USER}"}}
    return clients.auth().role_assignments.create(scope, str(uuid.uuid4()), body)


def ask(client, deployment: str = DEPLOYMENT, messages=None, **kw):
    return client.chat.completions.create(model=deployment, messages=PRODUCT_PROMPT if messages is None else messages,
                                          **kw)


def api_key(clients) -> str:
    return clients.cognitive().accounts.list_keys(GROUP, ACCOUNT).key1


# -- Entra tokens ---------------------------------------------------------------------------------
def test_token_works_after_granting_openai_user_on_the_account(clients, endpoint, principal, credential_of):
    grant_openai_user(clients, principal.object_id)
    raw = entra_client(clients, endpoint, credential_of(principal)).chat.completions.with_raw_response.create(
        model=DEPLOYMENT, messages=PRODUCT_PROMPT, temperature=1.0)
    assert raw.status_code == 200 and raw.headers["apim-request-id"]
    reply = raw.parse()
    text = reply.choices[0].message.content
    assert "Catnip Carnival" in text and "cat" in text and "catnip" in text
    assert 2 <= text.count(". ") + 1 <= 3
    assert reply.id.startswith("chatcmpl-") and isinstance(reply.created, int)
    assert reply.model.startswith("gpt-4o-mini") and reply.choices[0].finish_reason == "stop"
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens > 0
    body = raw.http_response.json()
    jailbreak = body["prompt_filter_results"][0]["content_filter_results"]["jailbreak"]
    assert jailbreak == {"filtered": False, "detected": False}
    assert body["choices"][0]["content_filter_results"]["violence"] == {"filtered": False, "severity": "safe"}


def test_completion_carries_the_official_examples_keys(clients, endpoint, principal, credential_of):
    example = json.loads((Path(__file__).resolve().parent / "arm_examples" / "azure-openai-inference" /
                          "chat_completions.json").read_text())["responses"]["200"]["body"]
    grant_openai_user(clients, principal.object_id)
    raw = entra_client(clients, endpoint, credential_of(principal)).chat.completions.with_raw_response.create(
        model=DEPLOYMENT, messages=PRODUCT_PROMPT)
    body = raw.http_response.json()
    assert set(example) <= set(body)
    assert set(example["choices"][0]) <= set(body["choices"][0])
    assert set(example["choices"][0]["message"]) <= set(body["choices"][0]["message"])
    assert set(example["usage"]) <= set(body["usage"])


def test_same_request_same_answer(clients, endpoint, principal, credential_of):
    grant_openai_user(clients, principal.object_id)
    client = entra_client(clients, endpoint, credential_of(principal))
    first, second = ask(client), ask(client)
    assert (first.id, first.choices[0].message.content) == (second.id, second.choices[0].message.content)
    other = ask(client, messages=[{"role": "user", "content": "Generate a product description for the product "
                                                              "'Bark Box' with the following tags: 'dog, treats'."}])
    assert other.id != first.id and "Bark Box" in other.choices[0].message.content


def test_the_store_apps_prompt_gets_a_description_of_its_product(clients, endpoint, principal, credential_of):
    """Our ai-service words its request "Product name: ...\nTags: ..." — the answer names both."""
    grant_openai_user(clients, principal.object_id)
    client = entra_client(clients, endpoint, credential_of(principal))
    reply = ask(client, messages=[{"role": "user", "content": "Describe this pet store product using joyful, playful, "
                                                             "and enticing language.\nProduct name: Rope toy\n"
                                                             "Tags: dog, rope"}])
    text = reply.choices[0].message.content
    assert "Rope toy" in text and "dog" in text and "rope" in text


def test_missing_role_is_401_permission_denied(clients, endpoint, principal, credential_of):
    with pytest.raises(openai.AuthenticationError) as e:
        ask(entra_client(clients, endpoint, credential_of(principal)))
    assert e.value.status_code == 401
    assert e.value.body == {"code": "PermissionDenied", "message": PERMISSION_DENIED.format(oid=principal.object_id)}


def test_control_plane_roles_do_not_grant_data_actions(clients, endpoint, fresh, credential_of):
    """The operator is Owner of the subscription, yet Owner has no data actions."""
    operator = fresh.backend.state.principal_by_app_id(clients.info.tenant_id, clients.info.client_id)
    with pytest.raises(openai.AuthenticationError) as e:
        ask(entra_client(clients, endpoint, clients.cred))
    assert e.value.body["code"] == "PermissionDenied" and operator.object_id in e.value.body["message"]


def test_role_inherited_from_the_resource_group_works(clients, endpoint, principal, credential_of):
    grant_openai_user(clients, principal.object_id, scope=clients.group_id())
    assert ask(entra_client(clients, endpoint, credential_of(principal))).choices[0].message.content


def test_new_assignment_counts_only_after_propagation(clients, endpoint, principal, credential_of):
    clients.control.settings(role_propagation_seconds=1.5)
    grant_openai_user(clients, principal.object_id)
    client = entra_client(clients, endpoint, credential_of(principal))
    with pytest.raises(openai.AuthenticationError) as e:
        ask(client)
    assert e.value.body["code"] == "PermissionDenied"
    answer = wait_for(lambda: ask(client), 10, "the assignment to propagate", interval=0.2,
                      ignoring=(openai.AuthenticationError,))
    assert answer.choices[0].finish_reason == "stop"


def test_token_for_resource_manager_is_refused(clients, endpoint, principal, credential_of):
    grant_openai_user(clients, principal.object_id)
    arm = get_bearer_token_provider(credential_of(principal), "https://management.azure.com/.default")
    with pytest.raises(openai.AuthenticationError) as e:
        ask(aoai(clients, endpoint, azure_ad_token_provider=arm))
    assert e.value.status_code == 401 and e.value.body == {"code": "401", "message": INVALID_TOKEN}


def test_expired_and_garbled_tokens_are_refused(clients, endpoint, principal, fresh):
    grant_openai_user(clients, principal.object_id)
    expired = issue(fresh.backend, principal, "https://cognitiveservices.azure.com", lifetime=-60, auth_method="1")
    for token in (expired.access_token, "not-a-jwt", expired.access_token[:-4] + "AAAA"):
        with pytest.raises(openai.AuthenticationError) as e:
            ask(aoai(clients, endpoint, azure_ad_token=token))
        assert e.value.body == {"code": "401", "message": INVALID_TOKEN}


def test_token_from_another_tenant_is_refused(clients, endpoint, fresh):
    other = add_tenant(fresh.backend, f"fabrikam{uuid.uuid4().hex[:6]}")
    token = issue(fresh.backend, other.operator, "https://cognitiveservices.azure.com", lifetime=600, auth_method="1")
    with pytest.raises(openai.AuthenticationError) as e:
        ask(aoai(clients, endpoint, azure_ad_token=token.access_token))
    assert e.value.body["message"] == INVALID_TOKEN


def test_ai_foundry_audience_is_accepted(clients, endpoint, principal, credential_of):
    grant_openai_user(clients, principal.object_id)
    provider = get_bearer_token_provider(credential_of(principal), "https://ai.azure.com/.default")
    assert ask(aoai(clients, endpoint, azure_ad_token_provider=provider)).choices


# -- API keys --------------------------------------------------------------------------------------
def test_api_key_works_while_local_auth_is_enabled(clients, endpoint):
    key = api_key(clients)
    assert ask(aoai(clients, endpoint, api_key=key)).choices[0].message.content
    log = clients.control.request_log()
    call = [r for r in log if r["path"].endswith("/chat/completions")][-1]
    assert (call["status"], call["principal"]) == (200, "api-key key1 of myOpenAIAccount")
    assert key not in json.dumps(log)


def test_the_data_plane_records_who_called_and_how_never_the_credential(clients, endpoint, principal, credential_of):
    grant_openai_user(clients, principal.object_id)
    mark = clients.control.openai_calls()["last_seq"]
    key = api_key(clients)
    ask(aoai(clients, endpoint, api_key=key))
    ask(entra_client(clients, endpoint, credential_of(principal)))
    clients.cognitive().accounts.begin_update(GROUP, ACCOUNT, {"properties": {"disableLocalAuth": True}}).result()
    with pytest.raises(openai.PermissionDeniedError):
        ask(aoai(clients, endpoint, api_key=key))
    record = clients.control.openai_calls(since=mark)
    seen = [(c["account"], c["deployment"], c["credential"], c["principal"], c["principal_id"], c["client_id"],
             c["status"]) for c in record["calls"]]
    assert seen == [(ACCOUNT, DEPLOYMENT, "api-key", "key1", "", "", 200),
                    (ACCOUNT, DEPLOYMENT, "entra-token", principal.display_name, principal.object_id, principal.app_id,
                     200),
                    (ACCOUNT, DEPLOYMENT, "api-key", "", "", "", 403)]  # refused before the key is matched
    assert record["last_seq"] == record["calls"][-1]["seq"] and key not in json.dumps(record)
    assert clients.control.openai_calls(since=record["last_seq"])["calls"] == []


def test_api_key_with_local_auth_disabled_is_403(clients, endpoint):
    key = api_key(clients)
    clients.cognitive().accounts.begin_update(GROUP, ACCOUNT, {"properties": {"disableLocalAuth": True}}).result()
    with pytest.raises(openai.PermissionDeniedError) as e:
        ask(aoai(clients, endpoint, api_key=key))
    assert e.value.status_code == 403
    assert e.value.body == {"code": "AuthenticationTypeDisabled",
                            "message": "Key based authentication is disabled for this resource."}


def test_wrong_api_key_is_401(clients, endpoint):
    with pytest.raises(openai.AuthenticationError) as e:
        ask(aoai(clients, endpoint, api_key="0" * 32))
    assert e.value.status_code == 401 and e.value.body["code"] == "401"
    assert e.value.body["message"].startswith("Access denied due to invalid subscription key or wrong API endpoint.")


def test_regenerated_key_stops_working(clients, endpoint):
    old = api_key(clients)
    clients.cognitive().accounts.regenerate_key(GROUP, ACCOUNT, "Key1")
    with pytest.raises(openai.AuthenticationError):
        ask(aoai(clients, endpoint, api_key=old))
    assert ask(aoai(clients, endpoint, api_key=api_key(clients))).choices


def test_no_credentials_at_all_is_401(clients, endpoint):
    r = httpx.post(f"{endpoint}openai/deployments/{DEPLOYMENT}/chat/completions?api-version={API_VERSION}",
                   json={"messages": PRODUCT_PROMPT}, verify=ssl.create_default_context(cafile=clients.info.ca_cert))
    assert r.status_code == 401
    assert r.json()["error"]["message"].startswith("Access denied due to missing subscription key")


def test_regional_endpoint_takes_keys_but_not_tokens(clients, principal, credential_of):
    cs = clients.cognitive()
    account = cs.accounts.begin_create(GROUP, "regional", {"location": "westus", "kind": "OpenAI",
                                                            "sku": {"name": "S0"}}).result()
    assert account.properties.endpoint == f"{clients.info.url}/aoai/regional-westus/"
    body = {"sku": {"name": "Standard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}}}
    cs.deployments.begin_create_or_update(GROUP, "regional", "chat", body).result()
    key = cs.accounts.list_keys(GROUP, "regional").key2
    assert ask(aoai(clients, account.properties.endpoint, api_key=key), deployment="chat").choices
    grant_openai_user(clients, principal.object_id, scope=account.id)
    with pytest.raises(openai.AuthenticationError) as e:
        ask(entra_client(clients, account.properties.endpoint, credential_of(principal)), deployment="chat")
    assert e.value.body["message"] == ("Please provide a custom subdomain for token authentication, otherwise API "
                                       "key is required.")


# -- deployments and endpoints ---------------------------------------------------------------------
def test_unknown_deployment_is_404_deployment_not_found(clients, endpoint, principal, credential_of):
    grant_openai_user(clients, principal.object_id)
    with pytest.raises(openai.NotFoundError) as e:
        ask(entra_client(clients, endpoint, credential_of(principal)), deployment="gpt-5")
    assert e.value.status_code == 404 and e.value.body["code"] == "DeploymentNotFound"


def test_deployment_still_being_created_is_not_found_yet(clients, endpoint):
    clients.control.call("PUT", "/latency", {
        "profile": "instant", "overrides": {"microsoft.cognitiveservices/accounts/deployments:put": 60}})
    body = {"sku": {"name": "Standard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}}}
    clients.cognitive().deployments.begin_create_or_update(GROUP, ACCOUNT, "fresh", body)
    with pytest.raises(openai.NotFoundError) as e:
        ask(aoai(clients, endpoint, api_key=api_key(clients)), deployment="fresh")
    assert e.value.body["code"] == "DeploymentNotFound"


def test_unknown_subdomain_is_404(clients):
    with pytest.raises(openai.NotFoundError) as e:
        ask(aoai(clients, f"{clients.info.url}/aoai/nobody-here/", api_key="x" * 32))
    assert e.value.status_code == 404


def test_embedding_deployment_cannot_chat(clients, endpoint):
    body = {"sku": {"name": "Standard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": "text-embedding-ada-002", "version": "2"}}}
    clients.cognitive().deployments.begin_create_or_update(GROUP, ACCOUNT, "embed", body).result()
    with pytest.raises(openai.BadRequestError) as e:
        ask(aoai(clients, endpoint, api_key=api_key(clients)), deployment="embed")
    assert e.value.body["code"] == "OperationNotSupported"
    assert "text-embedding-ada-002" in e.value.body["message"]


def test_api_version_is_required(clients, endpoint):
    r = httpx.post(f"{endpoint}openai/deployments/{DEPLOYMENT}/chat/completions", json={"messages": PRODUCT_PROMPT},
                   headers={"api-key": api_key(clients)},
                   verify=ssl.create_default_context(cafile=clients.info.ca_cert))
    assert r.status_code == 400 and "api-version" in r.json()["error"]["message"]


# -- the request --------------------------------------------------------------------------------------
def test_missing_or_malformed_messages_are_refused(clients, endpoint):
    client = aoai(clients, endpoint, api_key=api_key(clients))
    with pytest.raises(openai.BadRequestError) as e:
        ask(client, messages=[])
    assert e.value.body["param"] == "messages" and e.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as e:
        ask(client, messages=[{"role": "wizard", "content": "hi"}])
    assert e.value.body["param"] == "messages.[0].role"
    with pytest.raises(openai.BadRequestError) as e:
        ask(client, temperature=3)
    assert e.value.body["param"] == "temperature"


def test_max_tokens_cuts_the_answer(clients, endpoint):
    reply = ask(aoai(clients, endpoint, api_key=api_key(clients)), max_tokens=5)
    assert reply.choices[0].finish_reason == "length" and reply.usage.completion_tokens <= 5


def test_several_choices(clients, endpoint):
    reply = ask(aoai(clients, endpoint, api_key=api_key(clients)), n=2)
    assert [c.index for c in reply.choices] == [0, 1]


def test_content_parts_and_plain_questions(clients, endpoint):
    reply = ask(aoai(clients, endpoint, api_key=api_key(clients)),
                messages=[{"role": "user", "content": [{"type": "text", "text": "How do I care for a parrot?"}]}])
    assert "care parrot" in reply.choices[0].message.content


def test_streaming_yields_the_same_answer(clients, endpoint):
    client = aoai(clients, endpoint, api_key=api_key(clients))
    whole = ask(client).choices[0].message.content
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in ask(client, stream=True) if chunk.choices)
    assert streamed.strip() == whole


def test_request_log_names_the_principal_never_the_token(clients, endpoint, principal, credential_of):
    grant_openai_user(clients, principal.object_id)
    ask(entra_client(clients, endpoint, credential_of(principal)))
    log = clients.control.request_log()
    call = [r for r in log if r["path"].endswith("/chat/completions")][-1]
    assert (call["principal"], call["principal_id"], call["surface"]) == (principal.display_name, principal.object_id,
                                                                          "openai")
    assert "eyJ" not in json.dumps(log)


# -- the article, end to end: a user-assigned identity federated with the cluster ------------------
def test_workload_identity_of_the_article_reaches_the_model(clients, endpoint, fresh, tmp_path):
    """Enable the issuer, create the identity, federate it with the service account, then the pod's
    projected token (WorkloadIdentityCredential) gets a completion — but only once the identity holds
    Cognitive Services OpenAI User on the account."""
    from azure.identity import WorkloadIdentityCredential

    from keyless_emulator.kubernetes.tokens import mint

    issuer = enable_workload_identity(clients.aks())
    identity = clients.msi().user_assigned_identities.create_or_update(GROUP, "myIdentity", {"location": "eastus"})
    clients.msi().federated_identity_credentials.create_or_update(
        GROUP, "myIdentity", "myFedIdentity", {"issuer": issuer,
                                               "subject": "system:serviceaccount:default:ai-service-account",
                                               "audiences": ["api://AzureADTokenExchange"]})
    cluster = fresh.backend.state.resources.get(f"{clients.group_id()}/providers/Microsoft.ContainerService/"
                                                "managedClusters/myAKSCluster")
    sa = {"metadata": {"name": "ai-service-account", "uid": str(uuid.uuid4())}}
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(mint(fresh.backend, cluster, namespace="default", service_account=sa,
                               audiences=["api://AzureADTokenExchange"]).token + "\n")
    credential = WorkloadIdentityCredential(tenant_id=clients.info.tenant_id, client_id=identity.client_id,
                                            token_file_path=str(token_file), authority=clients.info.url,
                                            connection_verify=clients.verify)
    client = entra_client(clients, endpoint, credential)
    with pytest.raises(openai.AuthenticationError) as e:
        ask(client)
    assert e.value.body == {"code": "PermissionDenied", "message": PERMISSION_DENIED.format(oid=identity.principal_id)}
    grant_openai_user(clients, identity.principal_id)
    assert "Catnip Carnival" in ask(client).choices[0].message.content


def test_role_on_another_account_does_not_count(clients, endpoint, principal, credential_of):
    """Least privilege cuts both ways: the grant is per account."""
    other = clients.cognitive().accounts.begin_create(GROUP, "other", {
        "location": "eastus", "kind": "OpenAI", "sku": {"name": "S0"},
        "properties": {"customSubDomainName": "other-sub"}}).result()
    grant_openai_user(clients, principal.object_id, scope=other.id)
    with pytest.raises(openai.AuthenticationError) as e:
        ask(entra_client(clients, endpoint, credential_of(principal)))
    assert e.value.body["code"] == "PermissionDenied"


def test_removing_the_role_takes_access_away(clients, endpoint, principal, credential_of):
    assignment = grant_openai_user(clients, principal.object_id)
    client = entra_client(clients, endpoint, credential_of(principal))
    assert ask(client).choices
    clients.auth().role_assignments.delete_by_id(assignment.id)
    with pytest.raises(openai.AuthenticationError):
        ask(client)


def test_custom_subdomain_that_looks_regional_is_still_custom(clients, principal, credential_of):
    account = clients.cognitive().accounts.begin_create(GROUP, "lookalike", {
        "location": "eastus", "kind": "OpenAI", "sku": {"name": "S0"},
        "properties": {"customSubDomainName": "regional-eastus"}}).result()
    body = {"sku": {"name": "Standard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}}}
    clients.cognitive().deployments.begin_create_or_update(GROUP, "lookalike", "chat", body).result()
    grant_openai_user(clients, principal.object_id, scope=account.id)
    assert ask(entra_client(clients, account.properties.endpoint, credential_of(principal)), deployment="chat").choices


# -- the rules, without HTTP ------------------------------------------------------------------------
def _deployment(account: str = "a") -> dict:
    return {"id": f"/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/{account}"
                  "/deployments/d", "name": "d",
            "properties": {"model": {"name": "gpt-4o-mini", "version": "2024-07-18"}}}


def test_completion_is_a_function_of_deployment_and_request():
    from keyless_emulator.openai.completion import chat_completion
    from keyless_emulator.openai.models import parse_chat_request

    request = parse_chat_request({"messages": PRODUCT_PROMPT})
    first, again = chat_completion(_deployment(), request, 1), chat_completion(_deployment(), request, 2)
    assert first["id"] == again["id"] and first["choices"] == again["choices"]
    assert chat_completion(_deployment("b"), request, 1)["id"] != first["id"]
    assert first["model"] == "gpt-4o-mini-2024-07-18" and first["object"] == "chat.completion"


def test_tokens_are_counted_from_words():
    from keyless_emulator.openai.completion import count_tokens

    assert (count_tokens(""), count_tokens("one"), count_tokens("one two three")) == (0, 2, 4)


@pytest.mark.parametrize("body, param", [
    ({"messages": PRODUCT_PROMPT, "n": 0}, "n"),
    ({"messages": PRODUCT_PROMPT, "max_tokens": -1}, "max_tokens"),
    ({"messages": PRODUCT_PROMPT, "temperature": "hot"}, "temperature"),
    ({"messages": [{"role": "user", "content": 42}]}, "messages.[0].content"),
    ({"messages": "hello"}, "messages"),
    ({}, "messages"),
])
def test_request_validation_names_the_parameter(body, param):
    from keyless_emulator.openai.errors import InvalidRequest
    from keyless_emulator.openai.models import parse_chat_request

    with pytest.raises(InvalidRequest) as e:
        parse_chat_request(body)
    assert e.value.param == param and e.value.status == 400
