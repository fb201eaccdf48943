"""What a handler receives: the request, its route parameters, the caller, and the backend."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from .backend import Backend
from .routing import Route
from .state import EmulatorState, Principal


class BodyError(ValueError):
    """The request body is not what the operation accepts."""


@dataclass
class RequestContext:
    request: Request
    backend: Backend
    route: Route
    params: dict[str, str]
    request_id: str
    principal: Principal | None = None
    principal_label: str = "anonymous"
    claims: dict[str, Any] = field(default_factory=dict)
    # How a data-plane caller authenticated ("entra-token" | "api-key") and, for a key, which one:
    # what Azure OpenAI's call record keeps instead of the credential.
    credential_kind: str = ""
    credential_name: str = ""
    # Set by the request chain on a route that `lists` a collection the caller may only partly read:
    # the lower-cased ids it may see (None: all of them).
    readable: frozenset[str] | None = None
    # Set by a Kubernetes API server's authentication: the caller as kube-apiserver sees it (kubernetes/authz/user.py)
    kube_user: Any = None
    _body: bytes | None = None

    @property
    def state(self) -> EmulatorState:
        return self.backend.state

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.query_params.items())

    @property
    def api_version(self) -> str:
        return self.request.query_params.get("api-version", "")

    @property
    def bearer_token(self) -> str | None:
        """The token of an `Authorization: Bearer <token>` header, if there is one."""
        scheme, _, token = self.request.headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    @property
    def base_url(self) -> str:
        return self.backend.base_url

    async def body(self) -> bytes:
        if self._body is None:
            self._body = await self.request.body()
        return self._body

    async def json(self, default: Any = None) -> Any:
        """The body parsed as JSON whatever the Content-Type (some clients send none)."""
        raw = await self.body()
        if not raw.strip():
            return default
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise BodyError(f"The request content was invalid and could not be deserialized: {e}") from e

    async def form(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        raw = (await self.body()).decode("utf-8", "replace")
        return dict(parse_qsl(raw, keep_blank_values=True))
