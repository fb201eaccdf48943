"""Resource Manager's authentication rules, each answered with the code Resource Manager uses:
a token must be signed by Entra, issued by the tenant it names (`iss` = `tid`'s issuer), for the
Resource Manager audience, within its lifetime, for a principal that exists."""
from __future__ import annotations

import time

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from keyless_emulator.entra.tokens import ENTRA_KEY, issuer_for


class Forged:
    """A credential handing out one token signed with the emulator's own Entra key."""

    def __init__(self, token: str):
        self.token = token

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 600)


def _claims(clients, fresh, **changes):
    now = int(time.time())
    state = fresh.backend.state
    operator = next(p for p in state.principals.values() if p.app_id == clients.info.client_id)
    claims = {"aud": "https://management.azure.com", "iss": issuer_for(operator.tenant_id), "iat": now, "nbf": now,
              "exp": now + 600, "appid": operator.app_id, "oid": operator.object_id, "sub": operator.object_id,
              "tid": operator.tenant_id, "ver": "1.0"}
    claims.update(changes)
    return fresh.backend.keys.key(ENTRA_KEY).sign(claims)


def _refusal(clients, token: str) -> tuple[int, str]:
    with pytest.raises(ClientAuthenticationError) as e:
        clients.resources(credential=Forged(token)).resource_groups.get("myResourceGroup")
    return e.value.status_code, e.value.error.code


def test_a_well_formed_token_is_accepted(clients, fresh):
    group = clients.resources(credential=Forged(_claims(clients, fresh))).resource_groups.get("myResourceGroup")
    assert group.name == "myResourceGroup"


def test_issuer_of_another_tenant_than_tid_is_invalid_authentication_token_tenant(clients, fresh):
    other = issuer_for("00000000-0000-0000-0000-00000000beef")
    assert _refusal(clients, _claims(clients, fresh, iss=other)) == (401, "InvalidAuthenticationTokenTenant")


def test_untrusted_issuer_is_invalid_authentication_token_tenant(clients, fresh):
    token = _claims(clients, fresh, iss="https://login.example.com/tenant/")
    assert _refusal(clients, token) == (401, "InvalidAuthenticationTokenTenant")


def test_wrong_audience_is_invalid_authentication_token_audience(clients, fresh):
    token = _claims(clients, fresh, aud="https://cognitiveservices.azure.com")
    assert _refusal(clients, token) == (401, "InvalidAuthenticationTokenAudience")


def test_expired_token_is_expired_authentication_token(clients, fresh):
    now = int(time.time())
    token = _claims(clients, fresh, iat=now - 7200, nbf=now - 7200, exp=now - 3600)
    assert _refusal(clients, token) == (401, "ExpiredAuthenticationToken")


def test_unknown_principal_is_invalid_authentication_token(clients, fresh):
    token = _claims(clients, fresh, oid="00000000-0000-0000-0000-0000000000aa")
    assert _refusal(clients, token) == (401, "InvalidAuthenticationToken")
