"""Authentication of Microsoft Graph calls: an Entra access token whose audience is this Graph.

The audience is the emulator's own Graph URL (`{base}/graph/`), the value `/metadata/endpoints`
gives as `microsoftGraphResourceId`; a Resource Manager or Cognitive Services token is refused
as Graph refuses it. Any principal of a tenant may read that tenant's directory (the real
service would also require a Directory.Read permission, which the seeded operator has).
"""
from __future__ import annotations

from ..context import RequestContext
from ..entra.tokens import principal_of, verify_access_token
from ..signing import InvalidToken
from . import errors

PREFIX = "/graph"


def audiences(base_url: str) -> tuple[str, str]:
    return (base_url + PREFIX, base_url + PREFIX + "/")


async def authenticate(ctx: RequestContext) -> None:
    token = ctx.bearer_token
    if token is None:
        raise errors.token_missing()
    try:
        claims = verify_access_token(ctx.backend, token, audiences(ctx.base_url))
    except InvalidToken as e:
        if e.reason == "expired":
            raise errors.token_expired() from None
        raise errors.token_invalid({"audience": "Invalid audience.", "signature": "Invalid signature.",
                                    "issuer": "Invalid issuer."}.get(e.reason, "")) from None
    principal = principal_of(ctx.backend, claims)
    if principal is None:
        raise errors.token_invalid("The principal of the token no longer exists.")
    ctx.principal, ctx.claims = principal, claims
    ctx.principal_label = principal.display_name
