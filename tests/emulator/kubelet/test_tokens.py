"""Service-account tokens minted with the cluster issuer's key, verified against its published JWKS."""
from __future__ import annotations

import jwt
import pytest
import requests

from keyless_emulator.kubernetes.tokens import DEFAULT_ISSUER, mint

SA = {"metadata": {"name": "ai-service-account", "uid": "sa-uid"}}
POD = {"metadata": {"name": "ai-service-abc", "uid": "pod-uid"}}
NODE = {"metadata": {"name": "aks-nodepool1-1-vmss000000", "uid": "node-uid"}}


def _cluster(fresh):
    return fresh.backend.state.resources.of_type("Microsoft.ContainerService/managedClusters")[0]


def _enable_oidc(fresh):
    doc = _cluster(fresh)
    doc["properties"]["oidcIssuerProfile"] = {"enabled": True}
    fresh.backend.state.resources.put(doc)  # edited in place: the issuer id stays the same
    return fresh.backend.state.resources.get(doc["id"])


def test_token_of_an_oidc_cluster_verifies_against_the_issuer_jwks(fresh):
    from keyless_emulator import clusters

    doc = _enable_oidc(fresh)
    minted = mint(fresh.backend, doc, namespace="default", service_account=SA, pod=POD, node=NODE,
                  audiences=["api://AzureADTokenExchange"], expiration_seconds=3600)
    issuer = clusters.issuer_url(fresh.backend, doc)
    jwks = requests.get(issuer + "openid/v1/jwks", verify=fresh.info.ca_cert).json()
    key = jwt.PyJWKSet.from_dict(jwks).keys[0].key
    claims = jwt.decode(minted.token, key, algorithms=["RS256"], audience="api://AzureADTokenExchange",
                        issuer=issuer)
    assert claims["sub"] == "system:serviceaccount:default:ai-service-account"
    assert claims["aud"] == ["api://AzureADTokenExchange"]
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] == claims["iat"] == minted.issued_at
    assert claims["kubernetes.io"] == {"namespace": "default",
                                       "serviceaccount": {"name": "ai-service-account", "uid": "sa-uid"},
                                       "pod": {"name": "ai-service-abc", "uid": "pod-uid"},
                                       "node": {"name": "aks-nodepool1-1-vmss000000", "uid": "node-uid"}}
    assert claims["jti"] and issuer.endswith("/")
    assert jwt.get_unverified_header(minted.token)["kid"] == jwks["keys"][0]["kid"]


def test_without_the_oidc_issuer_the_token_names_the_default_issuer(fresh):
    minted = mint(fresh.backend, _cluster(fresh), namespace="shop", service_account=SA,
                  audiences=["api://AzureADTokenExchange"])
    claims = jwt.decode(minted.token, options={"verify_signature": False})
    assert claims["iss"] == DEFAULT_ISSUER == "https://kubernetes.default.svc.cluster.local"
    assert claims["sub"] == "system:serviceaccount:shop:ai-service-account"
    assert "pod" not in claims["kubernetes.io"] and minted.lifetime == 3600


def test_two_tokens_have_distinct_ids(fresh):
    a = mint(fresh.backend, _cluster(fresh), namespace="d", service_account=SA, audiences=["x"])
    b = mint(fresh.backend, _cluster(fresh), namespace="d", service_account=SA, audiences=["x"])
    assert jwt.decode(a.token, options={"verify_signature": False})["jti"] != \
        jwt.decode(b.token, options={"verify_signature": False})["jti"]


@pytest.mark.parametrize("kwargs,message", [
    ({"expiration_seconds": 599, "audiences": ["x"]}, "expirationSeconds must be at least 600; got 599"),
    ({"audiences": []}, "audiences must name at least one audience"),
])
def test_bad_requests_are_refused(fresh, kwargs, message):
    with pytest.raises(ValueError) as e:
        mint(fresh.backend, _cluster(fresh), namespace="d", service_account=SA, **kwargs)
    assert str(e.value) == message
