"""Each cluster's OIDC issuer: the discovery document and JWKS Entra fetches, published only
while the cluster exists with its OIDC issuer enabled (enabled here with the real AKS SDK)."""
from __future__ import annotations

import json
import time

import jwt
import pytest
import requests
from kit import enable_workload_identity
from kit.clusters import create_cluster, issuer_url_while_disabled

from keyless_emulator import clusters

RG, CLUSTER = "myResourceGroup", "myAKSCluster"
SA_AUDIENCE = "api://AzureADTokenExchange"


def _get(clients, url: str) -> requests.Response:
    return requests.get(url, verify=clients.verify)  # no Authorization header: issuers are public


def test_discovery_document_of_an_enabled_issuer(clients):
    issuer = enable_workload_identity(clients.aks())
    r = _get(clients, issuer + ".well-known/openid-configuration")
    assert r.status_code == 200
    assert r.json() == {
        "issuer": issuer,
        "jwks_uri": issuer + "openid/v1/jwks",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    assert issuer.endswith("/") and "//.well-known" not in r.url


def test_jwks_of_an_enabled_issuer(clients):
    issuer = enable_workload_identity(clients.aks())
    jwks_uri = _get(clients, issuer + ".well-known/openid-configuration").json()["jwks_uri"]
    r = _get(clients, jwks_uri)
    assert r.status_code == 200
    keys = r.json()["keys"]
    assert len(keys) == 1
    assert {k: keys[0][k] for k in ("kty", "use", "alg", "e")} == {"kty": "RSA", "use": "sig", "alg": "RS256",
                                                                  "e": "AQAB"}
    assert keys[0]["kid"] and keys[0]["n"]


def test_jwks_verifies_a_service_account_token_of_that_cluster(emulator, clients):
    issuer = enable_workload_identity(clients.aks())
    issuer_id = issuer.rstrip("/").rsplit("/", 1)[-1]
    now = int(time.time())
    token = emulator.backend.keys.key(clusters.issuer_key_name(issuer_id)).sign(
        {"iss": issuer, "sub": "system:serviceaccount:default:ai-service-account", "aud": [SA_AUDIENCE],
         "iat": now, "nbf": now, "exp": now + 3600})
    jwk = _get(clients, issuer + "openid/v1/jwks").json()["keys"][0]
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience=SA_AUDIENCE, issuer=issuer)
    assert claims["sub"] == "system:serviceaccount:default:ai-service-account"


def test_issuer_of_a_cluster_with_oidc_disabled_is_not_found(fresh, clients):
    issuer = issuer_url_while_disabled(fresh)
    for suffix in (".well-known/openid-configuration", "openid/v1/jwks"):
        r = _get(clients, issuer + suffix)
        assert r.status_code == 404, suffix
        assert r.json()["error"]["code"] == "NotFound"


def test_issuer_answers_once_enabled(fresh, clients):
    before = issuer_url_while_disabled(fresh)
    assert _get(clients, before + "openid/v1/jwks").status_code == 404
    assert enable_workload_identity(clients.aks()) == before
    assert _get(clients, before + "openid/v1/jwks").status_code == 200


def test_issuer_of_a_deleted_cluster_is_not_found(clients):
    issuer = enable_workload_identity(clients.aks())
    clients.aks().managed_clusters.begin_delete(RG, CLUSTER).result()
    assert _get(clients, issuer + ".well-known/openid-configuration").status_code == 404
    assert _get(clients, issuer + "openid/v1/jwks").status_code == 404


@pytest.mark.parametrize("part", ["location", "tenant", "issuer"])
def test_issuer_path_must_name_the_clusters_location_tenant_and_id(clients, part):
    issuer = enable_workload_identity(clients.aks())
    base, location, tenant, issuer_id = issuer.rstrip("/").rsplit("/", 3)
    replaced = {"location": "westus", "tenant": "00000000-0000-0000-0000-000000000000",
                "issuer": "11111111-1111-1111-1111-111111111111"}[part]
    parts = {"location": location, "tenant": tenant, "issuer": issuer_id, part: replaced}
    wrong = f"{base}/{parts['location']}/{parts['tenant']}/{parts['issuer']}/"
    assert _get(clients, wrong + ".well-known/openid-configuration").status_code == 404


def test_each_cluster_has_its_own_issuer_and_key(clients):
    create_cluster(clients.aks(), "second", oidc=True)
    first = enable_workload_identity(clients.aks())
    second = clients.aks().managed_clusters.get(RG, "second").properties.oidc_issuer_profile.issuer_url
    assert first != second
    kid_first = _get(clients, first + "openid/v1/jwks").json()["keys"][0]["kid"]
    kid_second = _get(clients, second + "openid/v1/jwks").json()["keys"][0]["kid"]
    assert kid_first != kid_second


def test_issuer_documents_are_only_read(clients):
    issuer = enable_workload_identity(clients.aks())
    r = requests.post(issuer + ".well-known/openid-configuration", verify=clients.verify)
    assert r.status_code == 405 and r.headers["Allow"] == "GET"


def test_issuer_key_survives_a_restart_of_the_same_data_folder(tmp_path):
    """Keys live in the data folder, so federated trust survives a restart."""
    from keyless_emulator import EmulatorConfig, start_in_thread

    def kid_after_enabling() -> tuple[str, str]:
        from .clients import Clients

        with start_in_thread(EmulatorConfig(home=tmp_path, kubelet=False)) as emu:
            issuer = enable_workload_identity(Clients(emu.info).aks())
            path = issuer.split("/oidc/", 1)[1]
            return path, _get(Clients(emu.info), issuer + "openid/v1/jwks").json()["keys"][0]["kid"]

    first_path, first_kid = kid_after_enabling()
    second_path, second_kid = kid_after_enabling()
    assert (first_path, first_kid) == (second_path, second_kid)


def test_issuer_routes_appear_in_the_request_log_as_anonymous(clients):
    issuer = enable_workload_identity(clients.aks())
    _get(clients, issuer + "openid/v1/jwks")
    entries = clients.control.request_log()
    oidc = [e for e in entries if e["surface"] == "oidc"]
    assert [(e["method"], e["status"], e["principal"]) for e in oidc] == [("GET", 200, "anonymous")]
    assert "eyJ" not in json.dumps(entries)
