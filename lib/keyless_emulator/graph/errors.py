"""Microsoft Graph's error body: `{"error": {"code", "message", "innerError": {date, request-id, ...}}}`."""
from __future__ import annotations

import datetime
import uuid
from typing import Any

from ..errors import EmulatorError


class GraphError(EmulatorError):
    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message, status=status, headers=headers)
        self.code = code
        self.request_id = str(uuid.uuid4())

    def body(self) -> dict[str, Any]:
        date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return {"error": {"code": self.code, "message": self.message,
                          "innerError": {"date": date, "request-id": self.request_id,
                                         "client-request-id": self.request_id}}}


def token_missing() -> GraphError:
    return GraphError(401, "InvalidAuthenticationToken", "Access token is empty.",
                      headers={"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'})


def token_invalid(detail: str) -> GraphError:
    return GraphError(401, "InvalidAuthenticationToken", f"Access token validation failure. {detail}".strip(),
                      headers={"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'})


def token_expired() -> GraphError:
    return GraphError(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.",
                      headers={"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'})


def resource_not_found(object_id: str) -> GraphError:
    return GraphError(404, "Request_ResourceNotFound",
                      f"Resource '{object_id}' does not exist or one of its queried reference-property objects are "
                      "not present.")


def unsupported_query() -> GraphError:
    return GraphError(400, "Request_UnsupportedQuery", "Unsupported Query.")


def bad_request(message: str) -> GraphError:
    return GraphError(400, "Request_BadRequest", message)
