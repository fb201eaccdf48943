"""Who may use the control API: an operator principal's token, or the local admin key.

Three ways to present them, one check behind all three:
- `x-emulator-admin-key: <admin key>` (scripts, `ControlClient`);
- `Authorization: Bearer <the operator principal's token>` (Resource Manager audience);
- `Authorization: Basic <base64 of user:password>`, the password being the admin key or the operator's
  token, the user name not checked (any, empty too). This is what a browser sends: the facilitator's
  dashboard is a page of this API, and a browser opening a link can send no header of its own, but it
  asks for a user name and password when a 401 carries a Basic challenge, then sends them with every
  request of the page to this origin (the page's script never sees the key). A fixed user name would
  be a second thing to type that guards nothing; the password alone is the secret.

Every 401 carries that challenge (`CHALLENGE`), so the browser asks again after a wrong password. A
credential that is valid but not the emulator's operator (a workshop attendee's token) is refused with
403 and no challenge: asking again would not help.

A browser attaches the credentials it signed in with to any request for this origin, a form another
site posts included; so a change sent with Basic credentials (anything but GET or HEAD) must come from a
page of this origin: its `Origin` header (which browsers send on every cross-origin request and every
POST) must be the scheme and `Host` the request was sent to, else 403 `CrossSiteRequest` before anything
is changed. Scripts sending the header or a bearer token are not browsers carrying cached credentials
and are not asked.

The control API is the emulator's own (no Azure service has it), so its codes and messages are ours,
not copied from a documented service.
"""
from __future__ import annotations

import base64
import binascii
import hmac

from ..context import RequestContext
from ..entra.tokens import ARM_AUDIENCES, principal_of, verify_access_token
from ..scenarios import default_operator
from ..signing import InvalidToken
from .errors import ControlError

ADMIN_KEY_HEADER = "x-emulator-admin-key"
REALM = "keyless emulator"
CHALLENGE = f'Basic realm="{REALM}", charset="UTF-8"'


def _unauthenticated(code: str, message: str) -> ControlError:
    return ControlError(401, code, message, headers={"WWW-Authenticate": CHALLENGE})


def basic_password(authorization: str) -> str | None:
    """The password of an `Authorization: Basic ...` header; None for any other scheme or none.
    Malformed Basic credentials are refused here, before anything else is tried."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    _user, colon, password = decoded.partition(":")  # the user name is not checked (module docstring)
    if not colon:
        raise _unauthenticated("InvalidAuthorization", "The Authorization header's Basic credentials must be the "
                                                       "base64 of UTF-8 'user:password'.")
    return password


def _is_token(secret: str) -> bool:
    """A JWT (header.payload.signature) rather than an admin key (which has no dots)."""
    return secret.count(".") == 2


def _refuse_cross_site(ctx: RequestContext) -> None:
    """A change carried by a browser's Basic credentials is accepted only from this origin's own pages."""
    if ctx.method in ("GET", "HEAD"):
        return
    origin = ctx.request.headers.get("origin")
    own = f"{ctx.request.url.scheme}://{ctx.request.headers.get('host', '')}"
    if origin is None or origin.rstrip("/").lower() != own.lower():
        raise ControlError(403, "CrossSiteRequest",
                           f"A change signed in with a browser's credentials must come from a page of {own}; "
                           f"Origin was {origin!r:.80}.")


async def authenticate(ctx: RequestContext) -> None:
    key = ctx.request.headers.get(ADMIN_KEY_HEADER)
    token = ctx.bearer_token
    password = basic_password(ctx.request.headers.get("authorization", ""))
    if password is not None:
        _refuse_cross_site(ctx)
    if password is not None and _is_token(password):
        token = password
    elif password is not None and key is None:
        key = password
    if key is not None:
        if hmac.compare_digest(key.encode(), ctx.backend.admin_key.encode()):
            ctx.principal_label = "admin-key"
            return
        where = "Basic password" if password is not None else f"{ADMIN_KEY_HEADER} header"
        raise _unauthenticated("InvalidAdminKey", f"The {where} does not match the runtime file's admin_key.")
    if token is None:
        raise _unauthenticated("Unauthenticated",
                               f"Send the operator principal's bearer token or the {ADMIN_KEY_HEADER} header "
                               "(admin_key in the runtime file); a browser: any user name, the admin key as "
                               "password.")
    try:
        claims = verify_access_token(ctx.backend, token, ARM_AUDIENCES)
    except InvalidToken as e:
        raise _unauthenticated("InvalidToken", str(e)) from None
    principal = principal_of(ctx.backend, claims)
    operator = default_operator(ctx.backend)
    if principal is None or operator is None or principal.object_id != operator.operator.object_id:
        # Workshop tenants' operators are attendees: the control API (reset, snapshot, tenants)
        # belongs to whoever runs the emulator, i.e. the runtime file's operator or admin key.
        raise ControlError(403, "Forbidden", "Only the emulator's own operator principal (the runtime file's "
                                             "client_id) or the admin key may use the control API.")
    ctx.principal, ctx.claims, ctx.principal_label = principal, claims, principal.display_name
