"""keyless.errors: Azure, Entra, Kubernetes and parameter errors explained, tokens scrubbed."""
from __future__ import annotations

import json

import pytest
from secretscan import jwt_shaped

import keyless
from keyless.errors import KeylessError, explain, scrub


def test_tokens_are_scrubbed_from_messages():
    jwt = jwt_shaped({"sub": "x"})
    assert "eyJ" not in scrub(f"bad token {jwt} here")
    assert "eyJ" not in str(KeylessError(f"x {jwt}"))


def test_aadsts_errors_get_the_federation_advice():
    from azure.core.exceptions import ClientAuthenticationError
    e = explain(ClientAuthenticationError("Microsoft Entra ID error '(invalid_client) AADSTS70021: No matching "
                                          "federated identity record found for presented assertion.'\nContent: {}"))
    assert e.code == "AADSTS70021" and "issuer" in e.hint and "Content" not in e.message


def test_kubernetes_errors_are_explained():
    from kubernetes.client.exceptions import ApiException
    exc = ApiException(status=403, reason="Forbidden")
    exc.body = json.dumps({"kind": "Status", "reason": "Forbidden", "message": "serviceaccounts is forbidden"})
    e = explain(exc)
    assert e.status == 403 and "forbidden" in e.message and "RBAC" in e.hint


def test_azure_rbac_for_kubernetes_denial_names_the_role_to_ask_for():
    from kubernetes.client.exceptions import ApiException
    exc = ApiException(status=403, reason="Forbidden")
    exc.body = json.dumps({"kind": "Status", "reason": "Forbidden", "message": (
        'pods is forbidden: User "o" cannot list resource "pods" in API group "" in the namespace "default": User '
        "does not have access to the resource in Azure. Update role assignment to allow access.")})
    e = explain(exc)
    assert e.code == "KubernetesForbidden" and "Azure Kubernetes Service RBAC Writer on the namespace" in e.hint


def test_parameter_errors_pass_through_as_explained():
    with pytest.raises(keyless.ParameterError) as info:
        keyless.Parameters(namespace="Bad")
    e = explain(info.value)
    assert e.code == "InvalidParameter" and "namespace" in e.message
