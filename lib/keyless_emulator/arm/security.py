"""Authentication and authorization of Resource Manager requests.

Authentication: a bearer token from the emulator's Entra, for the Resource Manager audience,
not expired, of a principal that still exists — otherwise 401 with `WWW-Authenticate`, using
the codes Resource Manager uses. The token's tenant must own the subscription addressed.
Authorization: the route's action at the route's scope, from role assignments (rbac.py). A
route that `lists` a collection is narrowed instead of refused when the caller may read some of
its items (`ctx.readable`). This is the only place Resource Manager permissions are checked:
providers declare the action of each route and never evaluate it themselves.
"""
from __future__ import annotations

import re

from ..context import RequestContext
from ..entra.tokens import ARM_AUDIENCES, principal_of, verify_access_token
from ..signing import InvalidToken
from .errors import ArmError, authorization_failed, subscription_not_found
from .rbac import is_allowed, readable_under, visible_subscriptions
from .scopes import SUBSCRIPTIONS

_SUBSCRIPTION_IN_PATH = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)

_REASONS = {
    "malformed": ("InvalidAuthenticationToken", "The access token is invalid."),
    "signature": ("InvalidAuthenticationToken", "The access token is invalid: its signature could not be verified."),
    "expired": ("ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than current UTC time."),
    "not_yet_valid": ("InvalidAuthenticationToken", "The access token is not yet valid."),
    "audience": ("InvalidAuthenticationTokenAudience",
                 "The access token has been obtained for wrong audience or resource. "
                 "It should exactly match with one of the allowed audiences 'https://management.core.windows.net/',"
                 "'https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'."),
    "issuer": ("InvalidAuthenticationTokenTenant", "The access token is from the wrong issuer."),
}


def unauthorized(ctx: RequestContext, code: str, message: str) -> ArmError:
    tenant = next(iter(ctx.state.tenants), "common")
    challenge = (f'Bearer authorization_uri="{ctx.base_url}/{tenant}", error="invalid_token", '
                 f'error_description="{message.split(".")[0]}."')
    return ArmError(401, code, message, headers={"WWW-Authenticate": challenge})


async def authenticate(ctx: RequestContext) -> None:
    token = ctx.bearer_token
    if token is None:
        raise unauthorized(ctx, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
    try:
        claims = verify_access_token(ctx.backend, token, ARM_AUDIENCES)
    except InvalidToken as e:
        code, message = _REASONS[e.reason]
        raise unauthorized(ctx, code, message) from None
    principal = principal_of(ctx.backend, claims)
    if principal is None:
        raise unauthorized(ctx, "InvalidAuthenticationToken",
                           f"The principal '{claims.get('oid')}' of the access token no longer exists in tenant "
                           f"'{claims.get('tid')}'.")
    ctx.principal, ctx.claims = principal, claims
    ctx.principal_label = principal.display_name
    _check_subscription(ctx)
    _authorize(ctx)


def _check_subscription(ctx: RequestContext) -> None:
    scope = "/" + ctx.params.get("scope", "").lstrip("/")
    m = _SUBSCRIPTION_IN_PATH.match(scope) or _SUBSCRIPTION_IN_PATH.match(ctx.path)
    if not m:
        return
    sub = ctx.state.subscription(m.group(1))
    if sub is None:
        raise subscription_not_found(m.group(1))
    assert ctx.principal is not None
    if sub.tenant_id != ctx.principal.tenant_id:
        raise unauthorized(ctx, "InvalidAuthenticationTokenTenant",
                           "The access token is from the wrong issuer "
                           f"'https://sts.windows.net/{ctx.principal.tenant_id}/'. "
                           f"It must match the tenant 'https://sts.windows.net/{sub.tenant_id}/' associated with this "
                           "subscription. Please use the authority (URL) 'https://login.windows.net/"
                           f"{sub.tenant_id}' to get the token.")


def _authorize(ctx: RequestContext) -> None:
    route, principal = ctx.route, ctx.principal
    assert principal is not None
    if route.lists == SUBSCRIPTIONS:
        ctx.readable = visible_subscriptions(ctx.state, principal.object_id, principal.tenant_id)
    action = route.action
    if not action:
        return
    scope = route.scope_for(ctx.params) or ctx.path
    if is_allowed(ctx.state, principal.object_id, action, scope):
        return
    if route.lists:
        readable = readable_under(ctx.state, principal.object_id, action, scope, route.lists)
        if readable:
            ctx.readable = readable
            return
    raise authorization_failed(principal.app_id, principal.object_id, action, "/" + scope.strip("/"))
