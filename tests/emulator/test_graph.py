"""Microsoft Graph, the subset az's role commands read: service principals by object id, app id and
servicePrincipalNames, directoryObjects/getByIds, tokens for the Graph audience the metadata document
names, and Graph's own error bodies. Tokens come from azure-identity against the emulator's Entra."""
from __future__ import annotations

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError

ARM_SCOPE = "https://management.azure.com/.default"


@pytest.fixture
def graph(fresh, clients):
    """(Graph base URL from /metadata/endpoints, a session holding a token for that audience)."""
    meta = requests.get(fresh.info.url + "/metadata/endpoints?api-version=2022-09-01", verify=clients.verify).json()
    resource = meta["microsoftGraphResourceId"]
    token = clients.cred.get_token(resource + "/.default").token  # as az asks: resource + "/.default"
    session = requests.Session()
    session.trust_env = False  # else an ambient REQUESTS_CA_BUNDLE overrides session.verify
    session.verify = clients.verify
    session.headers["Authorization"] = f"Bearer {token}"
    return resource.rstrip("/") + "/v1.0", session


def _identity(clients, name: str = "myIdentity"):
    return clients.msi().user_assigned_identities.create_or_update("myResourceGroup", name, {"location": "eastus"})


def test_metadata_names_the_emulators_graph(fresh, clients):
    meta = requests.get(fresh.info.url + "/metadata/endpoints", verify=clients.verify).json()
    assert meta["microsoftGraphResourceId"] == fresh.info.url + "/graph/"


def test_metadata_answers_the_double_slash_path_of_a_trailing_slash_registration(fresh, clients):
    r = requests.get(fresh.info.url + "//metadata/endpoints?api-version=2022-09-01", verify=clients.verify)
    assert r.status_code == 200 and r.json()["resourceManager"] == fresh.info.url + "/"


def test_service_principal_by_object_id_and_by_app_id(graph, clients):
    base, s = graph
    identity = _identity(clients)
    by_oid = s.get(f"{base}/servicePrincipals/{identity.principal_id}")
    by_app = s.get(f"{base}/servicePrincipals(appId='{identity.client_id}')")
    assert by_oid.status_code == by_app.status_code == 200
    for doc in (by_oid.json(), by_app.json()):
        assert (doc["id"], doc["appId"], doc["displayName"], doc["servicePrincipalType"]) == (
            identity.principal_id, identity.client_id, "myIdentity", "ManagedIdentity")
        assert doc["servicePrincipalNames"] == [identity.client_id, identity.id]
        assert doc["@odata.context"].endswith("/v1.0/$metadata#servicePrincipals/$entity")


def test_service_principal_list_filters_as_az_sends_them(graph, clients, fresh):
    base, s = graph
    identity = _identity(clients)
    by_name = s.get(f"{base}/servicePrincipals",
                    params={"$filter": f"servicePrincipalNames/any(c:c eq '{identity.client_id}')"}).json()
    assert [d["id"] for d in by_name["value"]] == [identity.principal_id]
    operator = s.get(f"{base}/servicePrincipals", params={"$filter": f"appId eq '{fresh.info.client_id}'"}).json()
    assert [d["servicePrincipalType"] for d in operator["value"]] == ["Application"]
    assert s.get(f"{base}/servicePrincipals", params={"$filter": "appId eq 'nobody'"}).json()["value"] == []


def test_get_by_ids_answers_the_known_objects_with_their_odata_type(graph, clients):
    base, s = graph
    identity = _identity(clients)
    r = s.post(f"{base}/directoryObjects/getByIds",
               json={"ids": [identity.principal_id, "00000000-0000-0000-0000-000000000000"],
                     "types": ["user", "group", "servicePrincipal", "directoryObjectPartnerReference"]})
    assert r.status_code == 200
    assert [(d["@odata.type"], d["id"]) for d in r.json()["value"]] == [
        ("#microsoft.graph.servicePrincipal", identity.principal_id)]


def test_users_are_an_empty_directory(graph):
    base, s = graph
    r = s.get(f"{base}/users", params={"$filter": "userPrincipalName eq 'someone@example.com'"})
    assert (r.status_code, r.json()["value"]) == (200, [])


def test_unknown_object_is_request_resource_not_found(graph):
    base, s = graph
    r = s.get(f"{base}/servicePrincipals/00000000-0000-0000-0000-000000000000")
    error = r.json()["error"]
    assert (r.status_code, error["code"]) == (404, "Request_ResourceNotFound")
    assert {"date", "request-id", "client-request-id"} <= set(error["innerError"])


def test_unsupported_filter_is_request_unsupported_query(graph):
    base, s = graph
    r = s.get(f"{base}/servicePrincipals", params={"$filter": "startswith(displayName,'my')"})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "Request_UnsupportedQuery")


def test_missing_token_is_invalid_authentication_token(fresh, clients):
    r = requests.get(fresh.info.url + "/graph/v1.0/servicePrincipals", verify=clients.verify)
    assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["message"]) == (
        401, "InvalidAuthenticationToken", "Access token is empty.")


def test_resource_manager_token_is_refused_by_graph(fresh, clients):
    token = clients.cred.get_token(ARM_SCOPE).token
    r = requests.get(fresh.info.url + "/graph/v1.0/servicePrincipals", verify=clients.verify,
                     headers={"Authorization": f"Bearer {token}"})
    assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["message"]) == (
        401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")


def test_graph_token_is_refused_by_resource_manager(graph, fresh, clients):
    _, s = graph
    r = s.get(f"{fresh.info.url}/subscriptions?api-version=2022-12-01")
    assert (r.status_code, r.json()["error"]["code"]) == (401, "InvalidAuthenticationTokenAudience")


def test_another_hosts_graph_audience_is_aadsts500011(clients):
    with pytest.raises(ClientAuthenticationError) as e:
        clients.cred.get_token("https://graph.microsoft.com/.default")
    assert "AADSTS500011" in str(e.value)
