"""Who may use the control API: an operator principal's token, or the local admin key."""
from __future__ import annotations

import hmac

from ..context import RequestContext
from ..entra.tokens import ARM_AUDIENCES, principal_of, verify_access_token
from ..scenarios import default_operator
from ..signing import InvalidToken
from .errors import ControlError

ADMIN_KEY_HEADER = "x-emulator-admin-key"


async def authenticate(ctx: RequestContext) -> None:
    key = ctx.request.headers.get(ADMIN_KEY_HEADER)
    if key is not None:
        if hmac.compare_digest(key, ctx.backend.admin_key):
            ctx.principal_label = "admin-key"
            return
        raise ControlError(401, "InvalidAdminKey",
                           f"The {ADMIN_KEY_HEADER} header does not match the runtime file's admin_key.")
    token = ctx.bearer_token
    if token is None:
        raise ControlError(401, "Unauthenticated",
                           f"Send the operator principal's bearer token or the {ADMIN_KEY_HEADER} header "
                           "(admin_key in the runtime file).")
    try:
        claims = verify_access_token(ctx.backend, token, ARM_AUDIENCES)
    except InvalidToken as e:
        raise ControlError(401, "InvalidToken", str(e)) from None
    principal = principal_of(ctx.backend, claims)
    operator = default_operator(ctx.backend)
    if principal is None or operator is None or principal.object_id != operator.operator.object_id:
        # Workshop tenants' operators are attendees: the control API (reset, snapshot, tenants)
        # belongs to whoever runs the emulator, i.e. the runtime file's operator or admin key.
        raise ControlError(403, "Forbidden", "Only the emulator's own operator principal (the runtime file's "
                                             "client_id) or the admin key may use the control API.")
    ctx.principal, ctx.claims, ctx.principal_label = principal, claims, principal.display_name
