"""Authentication and authorization of Azure OpenAI data-plane calls.

`Authorization: Bearer` — an Entra access token for Cognitive Services (audience
https://cognitiveservices.azure.com or https://ai.azure.com), unexpired, from the account's
tenant; its principal must hold the route's data action on the account through Azure RBAC,
or the call is 401 PermissionDenied. Tokens work only at custom-subdomain endpoints.
`api-key` — one of the account's two keys, accepted only while local auth is enabled
(otherwise 403 AuthenticationTypeDisabled, whatever the key).
The request log names the principal or which key was used, never the credential itself.
"""
from __future__ import annotations

from ..context import RequestContext
from ..entra.tokens import COGNITIVE_AUDIENCES, principal_of, verify_access_token
from ..signing import InvalidToken
from . import errors, models
from .calls import API_KEY, ENTRA_TOKEN


def operation_of(ctx: RequestContext) -> str:
    """'/aoai/{subdomain}/openai/deployments/{deployment}/chat/completions' ->
    'POST /openai/deployments/{deployment-id}/chat/completions' (how the service names the operation)."""
    path = ctx.route.path.split("/", 3)[3]
    return f"{ctx.route.method} /{path.replace('{deployment}', '{deployment-id}')}"


async def authenticate(ctx: RequestContext) -> None:
    subdomain = ctx.params["subdomain"]
    account = models.require_endpoint(ctx.state, subdomain)
    header = ctx.request.headers.get("authorization")
    api_key = ctx.request.headers.get("api-key")
    if header is not None:
        ctx.credential_kind = ENTRA_TOKEN
        _authenticate_token(ctx, account)
    elif api_key is not None:
        ctx.credential_kind = API_KEY
        _authenticate_key(ctx, subdomain, api_key, account)
    else:
        raise errors.missing_credentials()


def _authenticate_token(ctx: RequestContext, account: dict | None) -> None:
    if account is None:
        raise errors.token_needs_custom_subdomain()
    token = ctx.bearer_token
    if token is None:
        raise errors.invalid_token()
    try:
        claims = verify_access_token(ctx.backend, token, COGNITIVE_AUDIENCES)
    except InvalidToken:
        raise errors.invalid_token() from None
    if claims.get("tid") != models.tenant_of(ctx.state, account):
        raise errors.invalid_token()
    principal = principal_of(ctx.backend, claims)
    ctx.claims, ctx.principal = claims, principal
    ctx.principal_label = principal.display_name if principal else f"unknown principal {claims.get('oid')}"
    action = ctx.route.action or ""
    if not models.may_call(ctx.state, principal, action, account, ctx.backend.clock.time()):
        raise errors.permission_denied(str(claims.get("oid")), action, operation_of(ctx))


def _authenticate_key(ctx: RequestContext, subdomain: str, api_key: str, account: dict | None) -> None:
    if account is not None and account["properties"].get("disableLocalAuth"):
        raise errors.key_auth_disabled()
    found = models.account_by_key(ctx.state, subdomain, api_key)
    if found is None:
        raise errors.invalid_key()
    opened, which = found
    ctx.credential_name = which
    if opened["properties"].get("disableLocalAuth"):
        raise errors.key_auth_disabled()
    ctx.principal_label = f"api-key {which} of {opened['name']}"
