"""The URL space of the emulator's Entra ID (authority host = the emulator's URL)."""
from __future__ import annotations

from ..routing import AUTH_NONE, Route
from . import responses as r

ROUTES = [
    Route("POST", "/{tenant}/oauth2/v2.0/token", r.token, auth=AUTH_NONE),
    Route("POST", "/{tenant}/oauth2/token", r.token, auth=AUTH_NONE),
    Route("GET", "/{tenant}/v2.0/.well-known/openid-configuration", r.openid_configuration, auth=AUTH_NONE),
    Route("GET", "/{tenant}/.well-known/openid-configuration", r.openid_configuration, auth=AUTH_NONE),
    Route("GET", "/{tenant}/discovery/v2.0/keys", r.keys, auth=AUTH_NONE),
    Route("GET", "/{tenant}/discovery/keys", r.keys, auth=AUTH_NONE),
    Route("GET", "/common/discovery/instance", r.instance_discovery, auth=AUTH_NONE),
]
