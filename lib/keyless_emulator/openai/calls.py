"""The data plane's own record of who called Azure OpenAI and how.

Azure OpenAI answers a call the same way whether it came with an Entra token or an API key, so a
runbook that only sees the answer cannot tell a keyless workload from one still using its key. The
emulator keeps, per data-plane call, the account and deployment, how the caller authenticated
(`entra-token` or `api-key`), the token's principal and client (app) id or which key, and the
status. It never holds the token or the key itself. On Azure the closest equivalent is the
account's diagnostic logs (they need a Log Analytics workspace set up first), which the runbook
does not assume; there it proves keylessness from what it can read instead.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..context import RequestContext

ENTRA_TOKEN = "entra-token"
API_KEY = "api-key"
NO_CREDENTIAL = "none"


@dataclass
class DataPlaneCall:
    seq: int
    time: str
    account: str          # the account's name ("" when the endpoint matches no account)
    subdomain: str
    deployment: str
    operation: str
    credential: str       # entra-token | api-key | none
    principal_id: str     # the token's oid ("" for a key)
    principal: str        # the principal's display name, or which key ("key1"/"key2")
    client_id: str        # the token's appid/azp: the managed identity's client id for a workload
    status: int


class DataPlaneCalls:
    """Append-only, bounded, thread-safe; read by sequence number so a reader sees only its own calls."""

    def __init__(self, limit: int = 5000):
        self._calls: list[DataPlaneCall] = []
        self._seq = 0
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, **fields: Any) -> DataPlaneCall:
        with self._lock:
            self._seq += 1
            call = DataPlaneCall(seq=self._seq, **fields)
            self._calls.append(call)
            if len(self._calls) > self._limit:
                del self._calls[: len(self._calls) - self._limit]
            return call

    def report(self, since: int = 0) -> dict[str, Any]:
        with self._lock:
            return {"calls": [asdict(c) for c in self._calls if c.seq > since], "last_seq": self._seq}


def record(ctx: RequestContext, status: int) -> DataPlaneCall:
    """Add one answered data-plane call to the backend's record (called by the request chain)."""
    from . import models

    subdomain = ctx.params.get("subdomain", "")
    account = models.account_for_subdomain(ctx.state, subdomain) if subdomain else None
    if account is None and ctx.credential_kind == API_KEY:  # a regional endpoint: the key chose the account
        found = models.account_by_key(ctx.state, subdomain, ctx.request.headers.get("api-key", ""))
        account = found[0] if found else None
    claims = ctx.claims or {}
    token = ctx.credential_kind == ENTRA_TOKEN
    return ctx.backend.openai_calls.add(
        time=ctx.backend.clock.iso(), account=(account or {}).get("name", ""), subdomain=subdomain,
        deployment=ctx.params.get("deployment", ""), operation=f"{ctx.route.method} {ctx.route.path}",
        credential=ctx.credential_kind or NO_CREDENTIAL,
        principal_id=str(claims.get("oid", "")) if token else "",
        principal=(ctx.principal.display_name if ctx.principal else "") if token else ctx.credential_name,
        client_id=(ctx.principal.app_id if ctx.principal else str(claims.get("appid") or claims.get("azp") or ""))
        if token else "", status=status)
