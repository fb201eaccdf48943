"""Microsoft Entra token issuance through azure-identity: client secret (MSAL) and workload
identity federation (ClientAssertionCredential / WorkloadIdentityCredential, no MSAL), with the
AADSTS codes Entra answers. Identities, federated credentials and the cluster's OIDC issuer
are made with the real azure-mgmt-msi / azure-mgmt-containerservice clients."""
from __future__ import annotations

import base64
import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientAssertionCredential, WorkloadIdentityCredential
from kit import enable_workload_identity, wait_for
from kit.clusters import GROUP as RG
from kit.clusters import create_cluster, issuer_url_while_disabled

from keyless_emulator import clusters

ARM_SCOPE = "https://management.azure.com/.default"
AOAI_SCOPE = "https://cognitiveservices.azure.com/.default"
SA_AUDIENCE = "api://AzureADTokenExchange"
SUBJECT = "system:serviceaccount:default:ai-service-account"
IDENTITY = "myIdentity"
FIC = "myFedIdentity"


@dataclass
class Workload:
    """An identity federated with the cluster's issuer, and a way to mint that cluster's SA tokens."""

    emulator: Any
    clients: Any
    issuer: str
    client_id: str
    principal_id: str
    identity_id: str

    @property
    def issuer_id(self) -> str:
        return self.issuer.rstrip("/").rsplit("/", 1)[-1]

    def assertion(self, *, key_of: str | None = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": SUBJECT, "aud": [SA_AUDIENCE], "iat": now, "nbf": now,
                  "exp": now + 3600, "kubernetes.io": {"namespace": "default",
                                                       "serviceaccount": {"name": "ai-service-account", "uid": "u"}}}
        claims.update(overrides)
        key = self.emulator.backend.keys.key(clusters.issuer_key_name(key_of or self.issuer_id))
        return key.sign(claims)

    def credential(self, assertion: str) -> ClientAssertionCredential:
        return ClientAssertionCredential(self.clients.info.tenant_id, self.client_id, lambda: assertion,
                                         authority=self.clients.info.url, connection_verify=self.clients.verify)

    def token_post(self, **form: str) -> requests.Response:
        data = {"grant_type": "client_credentials", "client_id": self.client_id, "scope": AOAI_SCOPE,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", **form}
        return requests.post(f"{self.clients.info.url}/{self.clients.info.tenant_id}/oauth2/v2.0/token", data=data,
                             verify=self.clients.verify)


def add_federated_credential(clients, name: str, issuer: str, subject: str = SUBJECT,
                             audiences: list[str] | None = None, identity: str = IDENTITY) -> None:
    clients.msi().federated_identity_credentials.create_or_update(
        RG, identity, name, {"issuer": issuer, "subject": subject, "audiences": audiences or [SA_AUDIENCE]})


@pytest.fixture
def workload(fresh, clients) -> Workload:
    issuer = enable_workload_identity(clients.aks())
    identity = clients.msi().user_assigned_identities.create_or_update(RG, IDENTITY, {"location": "eastus"})
    add_federated_credential(clients, FIC, issuer)
    return Workload(fresh, clients, issuer, identity.client_id, identity.principal_id, identity.id)


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _fails_with(credential, code: int, scope: str = AOAI_SCOPE) -> str:
    with pytest.raises(ClientAuthenticationError) as e:
        credential.get_token(scope)
    assert f"AADSTS{code}:" in str(e.value), str(e.value)
    return str(e.value)


# -- client secret (MSAL) ------------------------------------------------------------------

def test_client_secret_credential_gets_a_resource_manager_token(clients):
    token = clients.credential().get_token(ARM_SCOPE)
    claims = _claims(token.token)
    assert claims["aud"] == "https://management.azure.com"
    assert (claims["tid"], claims["appid"], claims["appidacr"]) == (clients.info.tenant_id, clients.info.client_id, "1")
    assert claims["iss"] == f"https://sts.windows.net/{clients.info.tenant_id}/"
    assert 3500 < token.expires_on - time.time() <= 3600


def test_client_secret_token_is_signed_by_the_published_entra_key(clients):
    token = clients.credential().get_token(ARM_SCOPE).token
    jwks = requests.get(f"{clients.info.url}/{clients.info.tenant_id}/discovery/v2.0/keys", verify=clients.verify)
    key = jwt.PyJWK(jwks.json()["keys"][0]).key
    assert jwt.decode(token, key, algorithms=["RS256"], audience="https://management.azure.com")["oid"]


def test_wrong_client_secret_is_aadsts7000215(clients):
    message = _fails_with(clients.credential(client_secret="abc8Q~not-the-secret"), 7000215, ARM_SCOPE)
    assert "Invalid client secret provided." in message and clients.info.client_id in message


def test_unknown_client_id_is_aadsts700016(clients):
    _fails_with(clients.credential(client_id="00000000-0000-0000-0000-000000000001"), 700016, ARM_SCOPE)


def test_unknown_tenant_is_aadsts90002(clients):
    r = requests.post(f"{clients.info.url}/00000000-0000-0000-0000-0000000000aa/oauth2/v2.0/token",
                      verify=clients.verify,
                      data={"grant_type": "client_credentials", "client_id": clients.info.client_id,
                            "client_secret": clients.info.client_secret, "scope": ARM_SCOPE})
    assert r.status_code == 400 and r.json()["error_codes"] == [90002]


def test_entra_error_body_has_entras_shape_and_the_emulator_clock(clients):
    r = requests.post(f"{clients.info.url}/{clients.info.tenant_id}/oauth2/v2.0/token", verify=clients.verify,
                      data={"grant_type": "client_credentials", "client_id": clients.info.client_id,
                            "client_secret": "wrong", "scope": ARM_SCOPE})
    assert r.status_code == 401
    body = r.json()
    assert set(body) == {"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id",
                         "error_uri"}
    assert (body["error"], body["error_codes"]) == ("invalid_client", [7000215])
    stamp = dt.datetime.strptime(body["timestamp"], "%Y-%m-%d %H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert abs((stamp - dt.datetime.now(dt.UTC)).total_seconds()) < 5
    assert body["error_description"].startswith("AADSTS7000215: ")
    assert f"Timestamp: {body['timestamp']}" in body["error_description"]
    assert body["error_uri"].endswith("?code=7000215")


def test_managed_identity_has_no_client_secret(workload, clients):
    cred = clients.credential(client_id=workload.client_id, client_secret="anything")
    _fails_with(cred, 7000215, ARM_SCOPE)


# -- workload identity federation ----------------------------------------------------------

def test_workload_identity_credential_with_a_token_file_ending_in_newline(workload, tmp_path):
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(workload.assertion() + "\n")
    cred = WorkloadIdentityCredential(tenant_id=workload.clients.info.tenant_id, client_id=workload.client_id,
                                      token_file_path=str(token_file), authority=workload.clients.info.url,
                                      connection_verify=workload.clients.verify)
    token = cred.get_token(AOAI_SCOPE)
    claims = _claims(token.token)
    assert claims["aud"] == "https://cognitiveservices.azure.com"
    assert (claims["oid"], claims["appid"], claims["appidacr"]) == (workload.principal_id, workload.client_id, "2")
    assert claims["xms_mirid"] == workload.identity_id
    assert token.expires_on - time.time() > 86000


def test_workload_identity_credential_from_the_webhooks_environment(workload, tmp_path, monkeypatch):
    """The four variables the mutating webhook injects, and nothing else."""
    token_file = tmp_path / "token"
    token_file.write_text(workload.assertion())
    monkeypatch.setenv("AZURE_CLIENT_ID", workload.client_id)
    monkeypatch.setenv("AZURE_TENANT_ID", workload.clients.info.tenant_id)
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", workload.clients.info.url)
    token = WorkloadIdentityCredential(connection_verify=workload.clients.verify).get_token(AOAI_SCOPE)
    assert _claims(token.token)["oid"] == workload.principal_id


def test_client_assertion_credential_succeeds(workload):
    token = workload.credential(workload.assertion()).get_token(ARM_SCOPE)
    assert _claims(token.token)["aud"] == "https://management.azure.com"


def test_federated_token_answer_lives_24_hours(workload):
    r = workload.token_post(client_assertion=workload.assertion())
    assert r.status_code == 200
    assert (r.json()["token_type"], r.json()["expires_in"]) == ("Bearer", 86399)


def test_federated_token_is_accepted_by_resource_manager(workload):
    """A real Resource Manager token for the identity (which holds no role: it sees no subscription)."""
    token = workload.credential(workload.assertion()).get_token(ARM_SCOPE).token
    r = requests.get(workload.clients.info.url + "/subscriptions", params={"api-version": "2022-12-01"},
                     headers={"Authorization": f"Bearer {token}"}, verify=workload.clients.verify)
    assert r.status_code == 200 and r.json()["value"] == []


def test_token_minted_by_the_clusters_api_server_is_accepted(workload):
    """The Kubernetes side's TokenRequest and the Entra side agree on issuer, subject, audience and key."""
    from keyless_emulator.kubernetes.tokens import mint

    state = workload.emulator.backend.state
    doc = state.resources.get(f"{workload.clients.group_id()}/providers/{clusters.CLUSTER_TYPE}/myAKSCluster")
    minted = mint(workload.emulator.backend, doc, namespace="default", audiences=[SA_AUDIENCE],
                  service_account={"metadata": {"name": "ai-service-account", "uid": "sa-uid"}})
    assert workload.credential(minted.token).get_token(AOAI_SCOPE).token


def test_wrong_subject_is_aadsts700213_naming_the_subject(workload):
    message = _fails_with(workload.credential(workload.assertion(sub="system:serviceaccount:default:other")), 700213)
    assert "(invalid_client)" in message
    assert ("AADSTS700213: No matching federated identity record found for presented assertion subject "
            "'system:serviceaccount:default:other'. Check your federated identity credential Subject, Audience and "
            "Issuer against the presented assertion.") in message


def test_subject_matching_only_case_insensitively_is_aadsts7002138(workload):
    message = _fails_with(workload.credential(workload.assertion(sub=SUBJECT.upper())), 7002138)
    assert "case-insensitive comparison" in message


def test_wrong_audience_is_aadsts700212_naming_the_audience(workload):
    message = _fails_with(workload.credential(workload.assertion(aud=["api://SomethingElse"])), 700212)
    assert ("AADSTS700212: No matching federated identity record found for presented assertion audience "
            "'api://SomethingElse'. Please check your federated identity credential Subject, Audience and Issuer "
            "against the presented assertion.") in message


def test_audience_as_a_plain_string_matches(workload):
    assert workload.credential(workload.assertion(aud=SA_AUDIENCE)).get_token(AOAI_SCOPE).token


def test_expired_assertion_is_aadsts700024(workload):
    now = int(time.time())
    message = _fails_with(workload.credential(workload.assertion(iat=now - 7200, nbf=now - 7200, exp=now - 3600)),
                          700024)
    assert "Client assertion is not within its valid time range. Current time: " in message
    assert "expiry time of assertion " + dt.datetime.fromtimestamp(now - 3600, dt.UTC).strftime(
        "%Y-%m-%dT%H:%M:%S") in message


def test_assertion_not_yet_valid_is_aadsts700024(workload):
    now = int(time.time())
    _fails_with(workload.credential(workload.assertion(nbf=now + 600, exp=now + 3600)), 700024)


def test_assertion_signed_by_another_clusters_key_is_aadsts7000272(workload):
    create_cluster(workload.clients.aks(), "other", oidc=True)
    other = workload.clients.aks().managed_clusters.get(RG, "other").properties.oidc_issuer_profile.issuer_url
    other_id = other.rstrip("/").rsplit("/", 1)[-1]
    forged = workload.assertion(key_of=other_id)  # claims our issuer, signed with the other cluster's key
    kid = jwt.get_unverified_header(forged)["kid"]
    message = _fails_with(workload.credential(forged), 7000272)
    assert f"The certificate with identifier {kid} used to sign the federated credential could not be found in " \
           f"the metadata of identity provider {workload.issuer}." in message


def test_assertion_issued_by_another_cluster_is_aadsts700211(workload):
    create_cluster(workload.clients.aks(), "other", oidc=True)
    other = workload.clients.aks().managed_clusters.get(RG, "other").properties.oidc_issuer_profile.issuer_url
    other_id = other.rstrip("/").rsplit("/", 1)[-1]
    message = _fails_with(workload.credential(workload.assertion(iss=other, key_of=other_id)), 700211)
    assert ("AADSTS700211: No matching federated identity record found for presented assertion issuer "
            f"'{other}'. Please check your federated identity credential Subject, Audience and Issuer against the "
            "presented assertion.") in message


def test_tampered_assertion_is_aadsts700027(workload):
    header, payload, signature = workload.assertion().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = SUBJECT  # re-encoded with other bytes: the signature no longer matches
    claims["extra"] = "x"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    _fails_with(workload.credential(f"{header}.{forged_payload}.{signature}"), 700027)


def test_assertion_signed_with_hs256_is_aadsts700027(workload):
    """Entra federates only RS256 issuers: a symmetric signature naming the issuer's kid is refused."""
    kid = jwt.get_unverified_header(workload.assertion())["kid"]
    now = int(time.time())
    forged = jwt.encode({"iss": workload.issuer, "sub": SUBJECT, "aud": [SA_AUDIENCE], "iat": now, "nbf": now,
                         "exp": now + 600}, "a-shared-secret-that-is-long-enough-for-hs256", algorithm="HS256",
                        headers={"kid": kid})
    _fails_with(workload.credential(forged), 700027)


def test_assertion_without_a_kid_is_aadsts7000272(workload):
    now = int(time.time())
    key = workload.emulator.backend.keys.key(clusters.issuer_key_name(workload.issuer_id)).private_key
    unnamed = jwt.encode({"iss": workload.issuer, "sub": SUBJECT, "aud": [SA_AUDIENCE], "iat": now, "nbf": now,
                          "exp": now + 600}, key, algorithm="RS256")
    _fails_with(workload.credential(unnamed), 7000272)


def test_assertion_without_a_subject_is_aadsts700213(workload):
    claims = _claims(workload.assertion())
    del claims["sub"]
    key = workload.emulator.backend.keys.key(clusters.issuer_key_name(workload.issuer_id))
    message = _fails_with(workload.credential(key.sign(claims)), 700213)
    assert "presented assertion subject ''." in message


def test_issuer_of_a_cluster_with_oidc_disabled_is_aadsts50166(workload):
    create_cluster(workload.clients.aks(), "dark", oidc=False)
    issuer = issuer_url_while_disabled(workload.emulator, "dark")
    add_federated_credential(workload.clients, "darkFed", issuer)
    message = _fails_with(workload.credential(workload.assertion(iss=issuer,
                                                                 key_of=issuer.rstrip("/").rsplit("/", 1)[-1])),
                          50166)
    assert "Request to External OIDC endpoint failed." in message


def test_issuer_outside_the_emulator_is_aadsts50166(workload):
    """A credential naming a real AKS issuer: Entra cannot fetch its keys (nothing leaves the machine)."""
    issuer = "https://eastus.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/abc/"
    add_federated_credential(workload.clients, "cloudFed", issuer)
    _fails_with(workload.credential(workload.assertion(iss=issuer)), 50166)


def test_issuer_without_its_trailing_slash_is_aadsts700211(workload):
    message = _fails_with(workload.credential(workload.assertion(iss=workload.issuer.rstrip("/"))), 700211)
    assert f"presented assertion issuer '{workload.issuer.rstrip('/')}'." in message


def test_assertion_of_a_cluster_without_oidc_uses_the_default_issuer_and_fails(workload):
    """What a pod sees when the OIDC issuer was never enabled: kube-apiserver's default issuer."""
    message = _fails_with(workload.credential(
        workload.assertion(iss="https://kubernetes.default.svc.cluster.local")), 700211)
    assert "presented assertion issuer 'https://kubernetes.default.svc.cluster.local'." in message


def test_deleted_federated_credential_no_longer_matches_and_nothing_federated_is_aadsts70021(workload):
    workload.clients.msi().federated_identity_credentials.delete(RG, IDENTITY, FIC)
    message = _fails_with(workload.credential(workload.assertion()), 70021)
    assert ("AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: "
            f"'{workload.issuer}'. Assertion Subject: '{SUBJECT}'. Assertion Audience: '{SA_AUDIENCE}'.") in message


def test_deleted_identity_is_an_unknown_client(workload):
    workload.clients.msi().user_assigned_identities.delete(RG, IDENTITY)
    _fails_with(workload.credential(workload.assertion()), 700016)


def test_service_principal_without_federated_credentials_gets_aadsts70021(workload):
    cred = ClientAssertionCredential(workload.clients.info.tenant_id, workload.clients.info.client_id,
                                     lambda: workload.assertion(), authority=workload.clients.info.url,
                                     connection_verify=workload.clients.verify)
    _fails_with(cred, 70021)


def test_wrong_assertion_type_is_aadsts90011(workload):
    r = workload.token_post(client_assertion=workload.assertion(),
                            client_assertion_type="urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
    assert r.status_code == 400
    assert (r.json()["error"], r.json()["error_codes"]) == ("invalid_request", [90011])


def test_malformed_assertion_is_aadsts50027(workload):
    r = workload.token_post(client_assertion="not-a-jwt")
    assert r.status_code == 400
    assert (r.json()["error"], r.json()["error_codes"]) == ("invalid_request", [50027])


def test_federation_statuses_on_the_wire(workload):
    now = int(time.time())
    cases = {700211: workload.assertion(iss=workload.issuer + "x/"), 700212: workload.assertion(aud=["api://x"]),
             700213: workload.assertion(sub="x"),
             700024: workload.assertion(exp=now - 60, nbf=now - 120, iat=now - 120)}
    for code, assertion in cases.items():
        r = workload.token_post(client_assertion=assertion)
        assert r.json()["error_codes"] == [code]
        assert (r.status_code, r.json()["error"]) == ({700024: 401}.get(code, 400), "invalid_client")


def test_new_federated_credential_is_honoured_only_after_propagation(workload, tmp_path):
    delay = 1.5
    assert workload.clients.control.settings(federation_propagation_seconds=delay)["federation_propagation_seconds"] \
        == delay
    subject = "system:serviceaccount:store:late-account"
    add_federated_credential(workload.clients, "lateFed", workload.issuer, subject=subject)
    token_file = tmp_path / "token"
    token_file.write_text(workload.assertion(sub=subject) + "\n")
    cred = WorkloadIdentityCredential(tenant_id=workload.clients.info.tenant_id, client_id=workload.client_id,
                                      token_file_path=str(token_file), authority=workload.clients.info.url,
                                      connection_verify=workload.clients.verify)
    message = _fails_with(cred, 70021)  # nothing federated has propagated yet
    assert f"Assertion Subject: '{subject}'" in message
    token = wait_for(lambda: cred.get_token(AOAI_SCOPE), delay + 10, "the credential to propagate", interval=0.2,
                     ignoring=(ClientAuthenticationError,))
    assert _claims(token.token)["oid"] == workload.principal_id


def test_request_log_never_holds_the_assertion_or_the_token(workload):
    assertion = workload.assertion()
    token = workload.credential(assertion).get_token(AOAI_SCOPE).token
    text = json.dumps(workload.clients.control.request_log())
    assert assertion not in text and token not in text and "eyJ" not in text


def test_token_file_is_read_verbatim_so_the_emulator_strips_it(workload, tmp_path):
    """Whitespace around the JWT (newline, CRLF, spaces) does not break the exchange."""
    r = workload.token_post(client_assertion="  " + workload.assertion() + "\r\n")
    assert r.status_code == 200, r.text
