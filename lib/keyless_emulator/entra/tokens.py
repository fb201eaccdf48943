"""Access tokens: minted by the emulator's Entra key, verified by every service that takes them.

Tokens are v1.0-shaped, as Azure Resource Manager and Cognitive Services receive them:
`aud` is the resource (the scope without `/.default`), `iss` is `https://sts.windows.net/{tid}/`,
`oid`/`sub` the service principal's object id, `appid` its client id, `tid` the tenant.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ..backend import Backend
from ..signing import InvalidToken, verify
from ..state import Principal

ENTRA_KEY = "entra"
ARM_AUDIENCES = ("https://management.azure.com", "https://management.azure.com/",
                 "https://management.core.windows.net", "https://management.core.windows.net/")
COGNITIVE_AUDIENCES = ("https://cognitiveservices.azure.com", "https://cognitiveservices.azure.com/",
                       "https://ai.azure.com", "https://ai.azure.com/")
# the AKS Microsoft Entra server application: tokens for an Entra-integrated cluster's API server carry its
# application id as `aud` (scope `6dae42f8-4368-4678-94ff-3960e28e3630/.default`)
AKS_AUDIENCES = ("6dae42f8-4368-4678-94ff-3960e28e3630",)
KNOWN_RESOURCES = ARM_AUDIENCES + COGNITIVE_AUDIENCES + AKS_AUDIENCES
SECRET_TOKEN_LIFETIME = 3599
FEDERATED_TOKEN_LIFETIME = 86399


def issuer_for(tenant_id: str) -> str:
    return f"https://sts.windows.net/{tenant_id}/"


def resource_of_scope(scope: str) -> str:
    """'https://management.azure.com/.default' -> 'https://management.azure.com'."""
    first = scope.split()[0] if scope.split() else ""
    return first[: -len("/.default")] if first.endswith("/.default") else first


@dataclass
class IssuedToken:
    access_token: str
    expires_in: int

    def response(self) -> dict[str, Any]:
        return {"token_type": "Bearer", "expires_in": self.expires_in, "ext_expires_in": self.expires_in,
                "access_token": self.access_token}


def issue(backend: Backend, principal: Principal, resource: str, *, lifetime: int, auth_method: str) -> IssuedToken:
    """Mint an access token for `principal` to call `resource`.

    auth_method: "1" for a client secret, "2" for a certificate or client assertion (appidacr).
    """
    now = int(backend.clock.time())
    claims: dict[str, Any] = {
        "aud": resource, "iss": issuer_for(principal.tenant_id), "iat": now, "nbf": now, "exp": now + lifetime,
        "appid": principal.app_id, "appidacr": auth_method, "idp": issuer_for(principal.tenant_id),
        "idtyp": "app", "oid": principal.object_id, "sub": principal.object_id, "tid": principal.tenant_id,
        "ver": "1.0", "uti": uuid.uuid4().hex[:22], "rh": "0.emulator",
    }
    if principal.resource_id:
        claims["xms_mirid"] = principal.resource_id
    return IssuedToken(backend.keys.key(ENTRA_KEY).sign(claims), lifetime)


def verify_access_token(backend: Backend, token: str, audiences: tuple[str, ...]) -> dict[str, Any]:
    """Check an access token's signature, lifetime and audience (raises signing.InvalidToken)."""
    claims = verify(token, backend.keys.jwks(ENTRA_KEY)["keys"], now=backend.clock.time(), audiences=audiences,
                    leeway=0)
    if not str(claims.get("iss", "")).startswith("https://sts.windows.net/"):
        raise InvalidToken("issuer", f"The issuer {claims.get('iss')!r} is not trusted.", claims)
    if claims.get("iss") != issuer_for(str(claims.get("tid", ""))):  # the issuing tenant is the token's tenant
        raise InvalidToken("issuer", f"The issuer {claims.get('iss')!r} is not the tenant {claims.get('tid')!r}.",
                           claims)
    return claims


def principal_of(backend: Backend, claims: dict[str, Any]) -> Principal | None:
    p = backend.state.principals.get(str(claims.get("oid", "")))
    if p is None or p.tenant_id != claims.get("tid"):
        return None
    return p
