"""Thin handlers for the Entra endpoints."""
from __future__ import annotations

from starlette.responses import JSONResponse, Response

from ..context import RequestContext
from . import models
from .tokens import ENTRA_KEY


async def token(ctx: RequestContext) -> Response:
    form = await ctx.form()
    issued = models.token(ctx.backend, ctx.params["tenant"], form)
    return JSONResponse(issued.response(), headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})


async def openid_configuration(ctx: RequestContext) -> Response:
    """What MSAL reads before it asks for a token (instance discovery disabled)."""
    base, tenant = ctx.base_url, ctx.params["tenant"]
    return JSONResponse({
        "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{tenant}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": "keyless.emulator",
    })


async def keys(ctx: RequestContext) -> Response:
    return JSONResponse(ctx.backend.keys.jwks(ENTRA_KEY))


async def instance_discovery(ctx: RequestContext) -> Response:
    """MSAL's instance discovery, answered locally so nothing needs to leave the machine."""
    host = ctx.base_url.split("://", 1)[1]
    authorization_endpoint = ctx.query.get("authorization_endpoint", f"{ctx.base_url}/common/oauth2/v2.0/authorize")
    return JSONResponse({
        "tenant_discovery_endpoint": authorization_endpoint.replace("/oauth2/v2.0/authorize",
                                                                    "/v2.0/.well-known/openid-configuration"),
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
    })
