"""Microsoft.ManagedIdentity through azure-mgmt-msi: user-assigned identities backed by service
principals, and federated identity credentials with MSI's rules, paging and write concurrency."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from keyless_emulator import ControlError
from keyless_emulator.arm.authorization.models import seed_assignment

RG, IDENTITY = "myResourceGroup", "myIdentity"
IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
FIC_TYPE = IDENTITY_TYPE + "/federatedIdentityCredentials"
EXAMPLES = Path(__file__).resolve().parent / "arm_examples" / "msi"
ISSUER = "https://oidc.example.test/tenant/issuer/"
AUDIENCE = "api://AzureADTokenExchange"


def _raw(pipeline_response, deserialized, headers):
    return pipeline_response.http_response.json()


def _example(name, status="200"):
    return json.loads((EXAMPLES / name).read_text())["responses"][status]["body"]


def _fic(subject="system:serviceaccount:default:workload", issuer=ISSUER, audiences=(AUDIENCE,)):
    return {"properties": {"issuer": issuer, "subject": subject, "audiences": list(audiences)}}


def _arm_requests(clients):
    return [r for r in clients.control.request_log() if r["surface"] == "arm"]


def _meta(clients, resource_id):
    return clients.control.snapshot()["resources"]["meta"].get(resource_id.lower())


@pytest.fixture
def msi(clients):
    return clients.msi()


@pytest.fixture
def identity(msi):
    return msi.user_assigned_identities.create_or_update(RG, IDENTITY, {"location": "eastus"})


# -- user-assigned identities ------------------------------------------------------------------
def test_create_registers_a_service_principal_whose_ids_the_identity_carries(fresh, clients, msi):
    created = msi.user_assigned_identities.create_or_update(RG, IDENTITY, {"location": "East US", "tags": {"a": "b"}})
    assert (created.name, created.type, created.location, created.tags) == (IDENTITY, IDENTITY_TYPE, "eastus",
                                                                            {"a": "b"})
    assert created.id == f"/subscriptions/{clients.sub}/resourcegroups/{RG}/providers/{IDENTITY_TYPE}/{IDENTITY}"
    assert created.tenant_id == clients.info.tenant_id and created.isolation_scope == "None"
    principal = fresh.backend.state.principals[created.principal_id]
    assert (principal.app_id, principal.tenant_id, principal.kind) == (created.client_id, created.tenant_id,
                                                                        "ManagedIdentity")
    assert principal.resource_id == created.id and principal.display_name == IDENTITY
    assert [r["status"] for r in _arm_requests(clients) if r["method"] == "PUT"] == [201]


def test_re_put_keeps_the_ids_and_replaces_the_tags(clients, msi, identity):
    again = msi.user_assigned_identities.create_or_update(RG, IDENTITY, {"location": "eastus", "tags": {"x": "y"}})
    assert (again.client_id, again.principal_id, again.tenant_id) == (identity.client_id, identity.principal_id,
                                                                      identity.tenant_id)
    assert again.tags == {"x": "y"}
    assert [r["status"] for r in _arm_requests(clients) if r["method"] == "PUT"] == [201, 200]


def test_get_list_and_update(clients, msi, identity):
    got = msi.user_assigned_identities.get(RG, IDENTITY)
    assert (got.id, got.client_id) == (identity.id, identity.client_id)
    msi.user_assigned_identities.create_or_update(RG, "second", {"location": "eastus"})
    assert [i.name for i in msi.user_assigned_identities.list_by_resource_group(RG)] == [IDENTITY, "second"]
    assert [i.name for i in msi.user_assigned_identities.list_by_subscription()] == [IDENTITY, "second"]
    updated = msi.user_assigned_identities.update(RG, IDENTITY, {"tags": {"env": "workshop"}})
    assert updated.tags == {"env": "workshop"} and updated.principal_id == identity.principal_id
    assert msi.user_assigned_identities.get(RG, IDENTITY).tags == {"env": "workshop"}


def test_lookups_are_case_insensitive(msi, identity):
    assert msi.user_assigned_identities.get(RG.upper(), IDENTITY.lower()).name == IDENTITY


def test_identity_body_carries_the_keys_of_the_official_examples(msi, identity):
    body = msi.user_assigned_identities.get(RG, IDENTITY, cls=_raw)
    for example in (_example("IdentityGet.json"), _example("IdentityCreate.json", "201")):
        assert set(example) <= set(body)
        assert set(example["properties"]) <= set(body["properties"])
    pages = []
    list(msi.user_assigned_identities.list_by_resource_group(
        RG, raw_response_hook=lambda response: pages.append(response.http_response.json())))
    example = _example("IdentityListByResourceGroup.json")
    assert set(example) - {"nextLink"} <= set(pages[0])  # nextLink only when there is a next page
    assert set(example["value"][0]) <= set(pages[0]["value"][0])


def test_delete_removes_identity_credentials_and_principal(fresh, clients, msi, identity):
    msi.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic1", _fic())
    msi.user_assigned_identities.delete(RG, IDENTITY)
    with pytest.raises(ResourceNotFoundError):
        msi.user_assigned_identities.get(RG, IDENTITY)
    assert identity.principal_id not in fresh.backend.state.principals
    fic_id = identity.id + "/federatedIdentityCredentials/fic1"
    assert not fresh.backend.state.resources.exists(fic_id) and _meta(clients, fic_id) is None
    msi.user_assigned_identities.delete(RG, IDENTITY)
    assert [r["status"] for r in _arm_requests(clients) if r["method"] == "DELETE"] == [200, 204]


def test_recreated_identity_gets_new_ids(msi, identity):
    msi.user_assigned_identities.delete(RG, IDENTITY)
    again = msi.user_assigned_identities.create_or_update(RG, IDENTITY, {"location": "eastus"})
    assert again.principal_id != identity.principal_id and again.client_id != identity.client_id


@pytest.mark.parametrize("name", ["ab", "-abc", "_abc", "has.dot", "x" * 129])
def test_invalid_identity_name_is_refused(msi, name):
    with pytest.raises(HttpResponseError) as e:
        msi.user_assigned_identities.create_or_update(RG, name, {"location": "eastus"})
    assert e.value.status_code == 400 and e.value.error.code == "InvalidResourceName"
    assert e.value.error.target == "name"


def test_identity_name_of_128_characters_is_accepted(msi):
    name = "a" + "-_9" * 42 + "b"
    assert len(name) == 128
    assert msi.user_assigned_identities.create_or_update(RG, name, {"location": "eastus"}).name == name


def test_identity_without_location_is_refused(msi):
    with pytest.raises(HttpResponseError) as e:
        msi.user_assigned_identities.create_or_update(RG, IDENTITY, {"tags": {}})
    assert e.value.status_code == 400 and e.value.error.code == "InvalidRequestContent"
    assert "'location'" in e.value.error.message


def test_identity_in_missing_group(msi):
    with pytest.raises(ResourceNotFoundError) as e:
        msi.user_assigned_identities.create_or_update("nope", IDENTITY, {"location": "eastus"})
    assert e.value.status_code == 404 and e.value.error.code == "ResourceGroupNotFound"
    with pytest.raises(ResourceNotFoundError) as e:
        list(msi.user_assigned_identities.list_by_resource_group("nope"))
    assert e.value.error.code == "ResourceGroupNotFound"


def test_invalid_name_in_missing_group_is_resource_group_not_found(msi):
    with pytest.raises(ResourceNotFoundError) as e:
        msi.user_assigned_identities.create_or_update("nope", "-x", {"location": "eastus"})
    assert e.value.error.code == "ResourceGroupNotFound"


def test_missing_identity_is_resource_not_found(msi):
    with pytest.raises(ResourceNotFoundError) as e:
        msi.user_assigned_identities.get(RG, "ghost")
    assert e.value.status_code == 404 and e.value.error.code == "ResourceNotFound"
    assert e.value.error.message == (f"The Resource '{IDENTITY_TYPE}/ghost' under resource group '{RG}' was not found. "
                                     "For more details please go to https://aka.ms/ARMResourceNotFoundFix")
    with pytest.raises(ResourceNotFoundError) as e:
        msi.user_assigned_identities.update(RG, "ghost", {"tags": {}})
    assert e.value.error.code == "ResourceNotFound"


def test_identity_location_cannot_change(msi, identity):
    with pytest.raises(HttpResponseError) as e:
        msi.user_assigned_identities.create_or_update(RG, IDENTITY, {"location": "westeurope"})
    assert e.value.status_code == 400 and e.value.error.code == "InvalidResourceLocation"


def test_invalid_isolation_scope_is_refused(msi):
    with pytest.raises(HttpResponseError) as e:
        msi.user_assigned_identities.create_or_update(RG, IDENTITY, {"location": "eastus",
                                                                     "properties": {"isolationScope": "Global"}})
    assert e.value.status_code == 400 and e.value.error.code == "BadRequest"
    assert e.value.error.target == "properties.isolationScope"


# -- federated identity credentials ------------------------------------------------------------
def test_create_get_list_update_and_delete_a_credential(clients, msi, identity):
    fics = msi.federated_identity_credentials
    created = fics.create_or_update(RG, IDENTITY, "myFedIdentity", _fic())
    assert (created.name, created.type) == ("myFedIdentity", FIC_TYPE)
    assert created.id == identity.id + "/federatedIdentityCredentials/myFedIdentity"
    assert (created.issuer, created.subject, created.audiences) == (ISSUER, "system:serviceaccount:default:workload",
                                                                    [AUDIENCE])
    assert fics.get(RG, IDENTITY, "myFedIdentity").subject == created.subject
    assert [f.name for f in fics.list(RG, IDENTITY)] == ["myFedIdentity"]
    updated = fics.create_or_update(RG, IDENTITY, "myFedIdentity", _fic(subject="system:serviceaccount:ns:other"))
    assert updated.subject == "system:serviceaccount:ns:other"
    fics.delete(RG, IDENTITY, "myFedIdentity")
    fics.delete(RG, IDENTITY, "myFedIdentity")
    assert list(fics.list(RG, IDENTITY)) == []
    statuses = [(r["method"], r["status"]) for r in _arm_requests(clients) if r["method"] in ("PUT", "DELETE")]
    assert statuses == [("PUT", 201), ("PUT", 201), ("PUT", 200), ("DELETE", 200), ("DELETE", 204)]


def test_credential_write_time_is_kept_in_private_meta(fresh, clients, msi, identity):
    before = time.time()
    created = msi.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic1", _fic())
    written_at = _meta(clients, created.id)["written_at"]
    assert before <= written_at <= time.time()
    assert "written_at" not in json.dumps(msi.federated_identity_credentials.get(RG, IDENTITY, "fic1", cls=_raw))


def test_credential_body_carries_the_keys_of_the_official_examples(msi, identity):
    msi.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic1", _fic())
    body = msi.federated_identity_credentials.get(RG, IDENTITY, "fic1", cls=_raw)
    for example in (_example("FederatedIdentityCredentialGet.json"),
                    _example("FederatedIdentityCredentialCreate.json", "201"),
                    _example("FederatedIdentityCredentialList.json")["value"][0]):
        assert set(example) <= set(body) and set(example["properties"]) <= set(body["properties"])


def test_credentials_page_with_top_and_next_link(clients, msi, identity):
    for i in range(5):
        msi.federated_identity_credentials.create_or_update(RG, IDENTITY, f"fic{i}", _fic(subject=f"system:sa:{i}"))
    names = [f.name for f in msi.federated_identity_credentials.list(RG, IDENTITY, top=2)]
    assert names == [f"fic{i}" for i in range(5)]
    lists = [r for r in _arm_requests(clients)
             if r["method"] == "GET" and r["path"].endswith("federatedIdentityCredentials")]
    assert len(lists) == 3, "three pages of at most two"
    assert "skiptoken=4" in lists[-1]["query"]


def test_invalid_top_is_refused(msi, identity):
    with pytest.raises(HttpResponseError) as e:
        list(msi.federated_identity_credentials.list(RG, IDENTITY, top=0))
    assert e.value.status_code == 400 and e.value.error.code == "BadRequest" and e.value.error.target == "$top"


@pytest.mark.parametrize("name", ["ab", "-abc", "has.dot", "a" * 121])
def test_invalid_credential_name_is_refused(msi, identity, name):
    with pytest.raises(HttpResponseError) as e:
        msi.federated_identity_credentials.create_or_update(RG, IDENTITY, name, _fic())
    assert e.value.status_code == 400 and e.value.error.code == "BadRequest"
    assert e.value.error.message.startswith(f"Federated Identity Credential name '{name}' is invalid.")


def test_credential_name_bounds_are_accepted(msi, identity):
    for name in ("ab1", "A" + "b_-" * 39 + "c"):
        assert msi.federated_identity_credentials.create_or_update(
            RG, IDENTITY, name, _fic(subject=f"system:sa:{len(name)}")).name == name


@pytest.mark.parametrize("missing", ["issuer", "subject", "audiences"])
def test_credential_without_a_required_property_is_refused(msi, identity, missing):
    body = _fic()
    del body["properties"][missing]
    with pytest.raises(HttpResponseError) as e:
        msi.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic1", body)
    assert e.value.status_code == 400 and e.value.error.code == "BadRequest"
    assert e.value.error.message == ("The request format was unexpected. Federated Identity Credential must specify "
                                     "'issuer', 'subject' and 'audience'.")
    assert e.value.error.target == f"properties.{missing}"


def test_credential_with_empty_properties_is_refused(msi, identity):
    with pytest.raises(HttpResponseError) as e:
        msi.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic1", {"properties": {}})
    assert e.value.status_code == 400 and e.value.error.code == "BadRequest"
    assert e.value.error.message == "Federated Identity Credential from HTTP body has empty properties"


def test_credential_needs_exactly_one_audience(msi, identity):
    with pytest.raises(HttpResponseError) as e:
        msi.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic1", _fic(audiences=(AUDIENCE, "api://x")))
    assert e.value.status_code == 400 and e.value.error.code == "BadRequest"
    assert e.value.error.message == "Federated identity credentials must have exactly one audience."


def test_credential_issuer_must_be_an_https_url(msi, identity):
    with pytest.raises(HttpResponseError) as e:
        msi.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic1", _fic(issuer="not a url"))
    assert e.value.status_code == 400 and e.value.error.target == "properties.issuer"


def test_credential_fields_are_at_most_600_characters(msi, identity):
    with pytest.raises(HttpResponseError) as e:
        msi.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic1", _fic(subject="s" * 601))
    assert e.value.status_code == 400 and e.value.error.target == "properties.subject"


def test_issuer_and_subject_pair_is_unique_per_identity(msi, identity):
    fics = msi.federated_identity_credentials
    fics.create_or_update(RG, IDENTITY, "fic1", _fic())
    with pytest.raises(HttpResponseError) as e:
        fics.create_or_update(RG, IDENTITY, "fic2", _fic())
    assert e.value.status_code == 400 and e.value.error.code == "BadRequest"
    assert e.value.error.message == "Issuer and subject combination already exists for this Managed Identity."
    # matching is case-sensitive, and the same pair is fine under another identity
    fics.create_or_update(RG, IDENTITY, "fic3", _fic(subject="system:serviceaccount:default:WORKLOAD"))
    msi.user_assigned_identities.create_or_update(RG, "other", {"location": "eastus"})
    fics.create_or_update(RG, "other", "fic2", _fic())


def test_at_most_twenty_credentials_per_identity(clients, msi, identity):
    clients.control.settings(federation_write_seconds=0)
    fics = msi.federated_identity_credentials
    for i in range(20):
        fics.create_or_update(RG, IDENTITY, f"fic{i:02d}", _fic(subject=f"system:sa:{i}"))
    with pytest.raises(HttpResponseError) as e:
        fics.create_or_update(RG, IDENTITY, "fic20", _fic(subject="system:sa:20"))
    assert e.value.status_code == 400 and e.value.error.code == "BadRequest" and "at most 20" in e.value.error.message
    fics.create_or_update(RG, IDENTITY, "fic00", _fic(subject="system:sa:changed"))  # updating one is still fine


def test_credential_under_a_missing_identity(clients, msi):
    with pytest.raises(ResourceNotFoundError) as e:
        msi.federated_identity_credentials.create_or_update(RG, "ghost", "fic1", _fic())
    assert e.value.status_code == 404 and e.value.error.code == "ParentResourceNotFound"
    assert e.value.error.message == (
        "Failed to perform 'write' on resource(s) of type 'userAssignedIdentities/federatedIdentityCredentials', "
        "because the parent resource "
        f"'/subscriptions/{clients.sub}/resourcegroups/{RG}/providers/{IDENTITY_TYPE}/ghost' could not be found.")
    with pytest.raises(ResourceNotFoundError) as e:
        list(msi.federated_identity_credentials.list(RG, "ghost"))
    assert e.value.error.code == "ParentResourceNotFound"


def test_missing_credential_is_resource_not_found(msi, identity):
    with pytest.raises(ResourceNotFoundError) as e:
        msi.federated_identity_credentials.get(RG, IDENTITY, "ghost")
    assert e.value.status_code == 404 and e.value.error.code == "ResourceNotFound"
    assert f"'{IDENTITY_TYPE}/{IDENTITY}/federatedIdentityCredentials/ghost'" in e.value.error.message


# -- concurrency -------------------------------------------------------------------------------
def _concurrently(*calls):
    """Run the calls at the same moment from threads; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            outcomes[i] = call()
        except Exception as e:  # noqa: BLE001 — the outcome under test
            outcomes[i] = e

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_concurrent_credential_writes_under_one_identity_conflict(clients, identity):
    clients.control.settings(federation_write_seconds=1.0)
    first, second = clients.msi(), clients.msi()
    for c in (first, second):  # token and connection ready, so both writes leave together
        c.user_assigned_identities.get(RG, IDENTITY)
    outcomes = _concurrently(
        lambda: first.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic1",
                                                                      _fic(subject="system:sa:1")),
        lambda: second.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic2",
                                                                       _fic(subject="system:sa:2")))
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1, outcomes
    error = errors[0]
    assert isinstance(error, ResourceExistsError) and error.status_code == 409
    assert error.error.code == "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity"
    assert error.error.message == (
        "Too many Federated Identity Credentials are written concurrently for the managed identity "
        f"'{identity.id.lower()}'. Concurrent Federated Identity Credentials writes under the same managed identity "
        "are not supported.")
    assert len(list(first.federated_identity_credentials.list(RG, IDENTITY))) == 1


def test_sequential_writes_and_writes_under_different_identities_succeed(clients, msi, identity):
    clients.control.settings(federation_write_seconds=0.5)
    msi.user_assigned_identities.create_or_update(RG, "other", {"location": "eastus"})
    first, second = clients.msi(), clients.msi()
    for c in (first, second):
        c.user_assigned_identities.get(RG, IDENTITY)
    outcomes = _concurrently(
        lambda: first.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic1", _fic()),
        lambda: second.federated_identity_credentials.create_or_update(RG, "other", "fic1", _fic()))
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    msi.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic2", _fic(subject="system:sa:2"))
    assert len(list(msi.federated_identity_credentials.list(RG, IDENTITY))) == 2


@pytest.mark.parametrize("value", [-1, 61, "1", True])
def test_write_window_setting_is_validated(clients, value):
    with pytest.raises(ControlError) as e:
        clients.control.settings(federation_write_seconds=value)
    assert e.value.status == 400 and "federation_write_seconds" in e.value.body


def test_a_write_after_the_window_has_passed_is_accepted(clients, msi, identity):
    clients.control.settings(federation_write_seconds=0.3)
    started = time.monotonic()
    msi.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic1", _fic(subject="system:sa:1"))
    assert time.monotonic() - started >= 0.3, "a write holds its identity for the configured window"
    msi.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic2", _fic(subject="system:sa:2"))
    assert len(list(msi.federated_identity_credentials.list(RG, IDENTITY))) == 2


# -- RBAC --------------------------------------------------------------------------------------
def test_reader_may_read_but_not_write_credentials(fresh, clients, identity):
    state = fresh.backend.state
    with state.lock:
        reader = state.add_principal(clients.info.tenant_id, "workshop-reader", has_secret=True)
        seed_assignment(state, f"/subscriptions/{clients.sub}", reader.object_id, "Reader")
        secret = state.client_secret(reader)
    msi = clients.msi(credential=clients.credential(client_id=reader.app_id, client_secret=secret))
    assert msi.user_assigned_identities.get(RG, IDENTITY).client_id == identity.client_id
    with pytest.raises(HttpResponseError) as e:
        msi.federated_identity_credentials.create_or_update(RG, IDENTITY, "fic1", _fic())
    assert e.value.status_code == 403 and e.value.error.code == "AuthorizationFailed"
    assert f"'{IDENTITY_TYPE}/federatedIdentityCredentials/write'" in e.value.error.message
    with pytest.raises(HttpResponseError) as e:
        msi.user_assigned_identities.create_or_update(RG, "mine", {"location": "eastus"})
    assert e.value.status_code == 403 and f"'{IDENTITY_TYPE}/write'" in e.value.error.message


# -- the rules without HTTP --------------------------------------------------------------------
def test_paging_splits_and_links():
    from keyless_emulator.arm.paging import page

    items = [{"n": i} for i in range(5)]
    first = page(items, {"$top": "2"}, "https://h/list", "2024-11-30")
    assert first["value"] == items[:2]
    assert first["nextLink"] == "https://h/list?api-version=2024-11-30&%24top=2&%24skiptoken=2"
    last = page(items, {"$TOP": "2", "$skipToken": "4"}, "https://h/list", "2024-11-30")
    assert last == {"value": items[4:]}
    assert page(items, {}, "https://h/list", "v") == {"value": items}


def test_credential_body_validation_without_http():
    from keyless_emulator.arm.errors import ArmError
    from keyless_emulator.arm.msi.documents import validate_body

    assert validate_body(_fic()) == _fic()["properties"]
    with pytest.raises(ArmError) as e:
        validate_body({"properties": {"issuer": ISSUER, "subject": "s", "audiences": "api://AzureADTokenExchange"}})
    assert e.value.code == "BadRequest" and e.value.target == "properties.audiences"
