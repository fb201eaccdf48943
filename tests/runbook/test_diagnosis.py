"""The verification names the link Entra refused, from the AADSTS code the pod's sign-in got back."""
from __future__ import annotations

import pytest
from azure.core.exceptions import ClientAuthenticationError

from keyless.errors import explain
from keyless.steps.verify import diagnose

ANSWERS = {
    "AADSTS700211": "issuer must equal the cluster's OIDC issuer URL exactly",
    "AADSTS700212": "audience must be api://AzureADTokenExchange",
    "AADSTS700213": "system:serviceaccount:<namespace>:<service account>",
    "AADSTS7002138": "case included",
    "AADSTS70021": "may still be propagating",
}


@pytest.mark.parametrize("code", sorted(ANSWERS))
def test_each_federation_code_names_its_link(code):
    answer = f"500 Error generating description: ... Microsoft Entra ID error '(invalid_client) {code}: No matching"
    assert ANSWERS[code] in diagnose(answer, [])


@pytest.mark.parametrize("code,words", [("700212", "api://AzureADTokenExchange"), ("7002138", "case"),
                                        ("700211", "trailing slash"), ("700213", "ServiceAccount")])
def test_explain_gives_the_fix_for_each_federation_code(code, words):
    e = explain(ClientAuthenticationError(f"Microsoft Entra ID error '(invalid_client) AADSTS{code}: No matching "
                                          "federated identity record found'\nContent: {}"))
    assert e.code == f"AADSTS{code}" and words in e.hint and "Content" not in e.message
