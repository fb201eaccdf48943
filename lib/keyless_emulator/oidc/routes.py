"""The URL space of the cluster OIDC issuers: `{base}/oidc/{location}/{tenant}/{issuer}/` (public)."""
from __future__ import annotations

from ..routing import AUTH_NONE, Route
from . import responses as r

_ISSUER = "/oidc/{location}/{tenant}/{issuer}"

ROUTES = [
    Route("GET", _ISSUER + "/.well-known/openid-configuration", r.openid_configuration, auth=AUTH_NONE),
    Route("GET", _ISSUER + "/openid/v1/jwks", r.jwks, auth=AUTH_NONE),
]
