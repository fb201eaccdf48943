"""Which part of the emulator a path belongs to, and how that part words a generic error.

Each surface answers errors in its real wire shape: Resource Manager's error body, Entra's
OAuth error, a Kubernetes Status, Azure OpenAI's error object, or the control API's.
"""
from __future__ import annotations

import json
import re
from typing import Any

from starlette.responses import JSONResponse, Response

from .faults import Fault

CONTROL, ARM, ENTRA, OIDC, OPENAI, KUBERNETES = "control", "arm", "entra", "oidc", "openai", "kubernetes"
GRAPH = "graph"
_ENTRA = re.compile(r"^/[^/]+/(oauth2/|v2\.0/\.well-known/|\.well-known/|discovery/)|^/common/discovery/",
                    re.IGNORECASE)
OPENAI_PREFIX = "/aoai/"
KUBERNETES_PREFIX = "/k8s/"
OIDC_PREFIX = "/oidc/"
GRAPH_PREFIX = "/graph/"
CONTROL_PREFIX = "/_emulator/"


def surface_of(path: str) -> str:
    p = path.lower()
    if p.startswith(CONTROL_PREFIX) or p == CONTROL_PREFIX.rstrip("/"):
        return CONTROL
    if p.startswith(KUBERNETES_PREFIX):
        return KUBERNETES
    if p.startswith(OIDC_PREFIX):
        return OIDC
    if p.startswith(OPENAI_PREFIX):
        return OPENAI
    if p.startswith(GRAPH_PREFIX):
        return GRAPH
    if _ENTRA.match(path):
        return ENTRA
    return ARM


def error_response(surface: str, status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> Response:
    body: Any
    if surface == KUBERNETES:
        reasons = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
                   409: "Conflict", 422: "Invalid", 429: "TooManyRequests", 500: "InternalError",
                   503: "ServiceUnavailable"}
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                "reason": reasons.get(status, code), "code": status}
    elif surface == ENTRA:
        body = {"error": code, "error_description": message, "error_codes": [], "timestamp": "", "trace_id": "",
                "correlation_id": ""}
    elif surface == OPENAI:
        body = {"error": {"code": code, "message": message}}
    elif surface == GRAPH:
        from .graph.errors import GraphError

        body = GraphError(status, code, message).body()
    else:
        body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def not_found(surface: str, method: str, path: str) -> Response:
    if surface == ARM:
        code = "NoRegisteredProviderFound" if "/providers/" in path.lower() else "NotFound"
        return error_response(ARM, 404, code, f"No route registered for '{method} {path}'.")
    if surface == KUBERNETES:
        return error_response(KUBERNETES, 404, "NotFound", "the server could not find the requested resource")
    if surface == GRAPH:
        segment = path.rsplit("/", 1)[-1]
        return error_response(GRAPH, 400, "BadRequest", f"Resource not found for the segment '{segment}'.")
    return error_response(surface, 404, "NotFound", f"No route registered for '{method} {path}'.")


def method_not_allowed(surface: str, method: str, path: str, allowed: list[str]) -> Response:
    return error_response(surface, 405, "MethodNotAllowed",
                          f"The requested resource does not support http method '{method}'.",
                          headers={"Allow": ", ".join(allowed)})


def bad_body(surface: str, message: str) -> Response:
    code = {ARM: "InvalidRequestContent", KUBERNETES: "BadRequest"}.get(surface, "BadRequest")
    return error_response(surface, 400, code, message)


def internal_error(surface: str, request_id: str) -> Response:
    return error_response(surface, 500, "InternalServerError",
                          f"The emulator failed to process the request (request id {request_id}); see its log.")


class DroppedResponse(Response):
    """Headers promising a body that never fully arrives: the client sees a dropped connection.
    `handled_status` is what the service answered before the answer was lost (None: it never ran)."""

    def __init__(self, handled_status: int | None = None) -> None:
        super().__init__(content=b"", status_code=200)
        self.handled_status = handled_status

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[override]
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
        await send({"type": "http.response.body", "body": b'{"partial": ', "more_body": False})


def fault_response(surface: str, fault: Fault, handled: Response | None = None) -> Response:
    """The fault's answer; `handled` is the service's own answer when the fault hits after it ran."""
    if fault.drop:
        return DroppedResponse(handled.status_code if handled is not None else None)
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(max(0, round(fault.retry_after)))
        headers["retry-after-ms"] = str(int(fault.retry_after * 1000))
        headers["x-ms-retry-after-ms"] = str(int(fault.retry_after * 1000))
    default_codes = {429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway",
                     503: "ServiceUnavailable", 504: "GatewayTimeout", 409: "Conflict", 403: "Forbidden"}
    code = fault.code or default_codes.get(fault.status, "InjectedFault")
    message = fault.message or f"Fault injected by the emulator for route pattern {json.dumps(fault.route)}."
    return error_response(surface, fault.status, code, message, headers=headers)
