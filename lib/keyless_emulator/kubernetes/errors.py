"""Kubernetes API errors, rendered as the real `Status` object (kind Status, apiVersion v1).

Each helper builds the message, reason and details exactly as kube-apiserver words them, e.g.
404 `pods "x" not found` (reason NotFound), 409 `pods "x" already exists` (AlreadyExists),
409 Conflict on a stale resourceVersion, 422 Invalid with `details.causes`, 400 BadRequest.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response

from ..errors import EmulatorError


class KubeError(EmulatorError):
    """An API error in the Status shape."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message, status=code, headers=headers)
        self.reason = reason
        self.details = details

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                               "message": self.message, "reason": self.reason}
        if self.details is not None:
            out["details"] = self.details
        out["code"] = self.status
        return out

    def response(self) -> Response:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def qualified(resource: str, group: str) -> str:
    """`pods`, or `deployments.apps` for a named group (how messages name a resource)."""
    return f"{resource}.{group}" if group else resource


def _details(name: str, resource: str, group: str) -> dict[str, Any]:
    d: dict[str, Any] = {"name": name}
    if group:
        d["group"] = group
    d["kind"] = resource
    return d


def not_found(resource: str, name: str, group: str = "") -> KubeError:
    return KubeError(404, "NotFound", f'{qualified(resource, group)} "{name}" not found',
                     _details(name, resource, group))


def already_exists(resource: str, name: str, group: str = "") -> KubeError:
    return KubeError(409, "AlreadyExists", f'{qualified(resource, group)} "{name}" already exists',
                     _details(name, resource, group))


def conflict(resource: str, name: str, group: str = "", detail: str | None = None) -> KubeError:
    detail = detail or "the object has been modified; please apply your changes to the latest version and try again"
    return KubeError(409, "Conflict",
                     f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": {detail}',
                     _details(name, resource, group))


def bad_request(message: str) -> KubeError:
    return KubeError(400, "BadRequest", message)


def forbidden(resource: str, name: str, group: str, why: str) -> KubeError:
    return KubeError(403, "Forbidden", f'{qualified(resource, group)} "{name}" is forbidden: {why}',
                     _details(name, resource, group))


def forbidden_request(message: str, resource: str, name: str, group: str) -> KubeError:
    """403 of the authorizer chain (message from kubernetes/authz); details name the resource as kube-apiserver's
    NewForbidden does (none for a non-resource path)."""
    details = _details(name, resource, group) if resource else {}
    return KubeError(403, "Forbidden", message, details)


def unauthorized() -> KubeError:
    return KubeError(401, "Unauthorized", "Unauthorized")


def method_not_supported(resource: str, verb: str, group: str = "") -> KubeError:
    return KubeError(405, "MethodNotAllowed",
                     f"{verb} is not supported on resources of kind \"{qualified(resource, group)}\"",
                     {"group": group, "kind": resource} if group else {"kind": resource})


def gone(message: str) -> KubeError:
    return KubeError(410, "Expired", message)


def service_unavailable(message: str) -> KubeError:
    return KubeError(503, "ServiceUnavailable", message)


def unsupported_media_type(content_type: str) -> KubeError:
    return KubeError(415, "UnsupportedMediaType", f'the body of the request was in an unknown format - accepted media '
                     f'types include: application/json-patch+json, application/merge-patch+json, '
                     f'application/apply-patch+yaml, application/strategic-merge-patch+json (got "{content_type}")')


@dataclass(frozen=True)
class Cause:
    """One field error: reason FieldValueRequired/FieldValueInvalid/FieldValueNotSupported/..."""

    field: str
    reason: str
    detail: str  # e.g. 'Required value' or 'Invalid value: "x": must be ...'

    @property
    def text(self) -> str:
        return f"{self.field}: {self.detail}"


def required(field: str, detail: str = "") -> Cause:
    return Cause(field, "FieldValueRequired", "Required value" + (f": {detail}" if detail else ""))


def _go_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(value.items())) + "}"
    return str(value)


def invalid_value(field: str, value: Any, why: str) -> Cause:
    return Cause(field, "FieldValueInvalid", f"Invalid value: {_go_value(value)}: {why}")


def not_supported(field: str, value: Any, allowed: list[str]) -> Cause:
    return Cause(field, "FieldValueNotSupported",
                 f"Unsupported value: {_go_value(value)}: supported values: " + ", ".join(f'"{a}"' for a in allowed))


def duplicate(field: str, value: Any) -> Cause:
    return Cause(field, "FieldValueDuplicate", f"Duplicate value: {_go_value(value)}")


def forbidden_field(field: str, why: str) -> Cause:
    return Cause(field, "FieldValueForbidden", f"Forbidden: {why}")


def invalid(kind: str, name: str, causes: list[Cause], group: str = "") -> KubeError:
    """422: `Pod "x" is invalid: spec.containers: Required value` (several causes in [..., ...])."""
    texts = [c.text for c in causes]
    summary = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [{"reason": c.reason, "message": c.detail, "field": c.field} for c in causes]
    return KubeError(422, "Invalid", f'{kind}{"." + group if group else ""} "{name}" is invalid: {summary}', details)


class AdmissionError(KubeError):
    """An admission plugin refused the object (rendered like a webhook denial)."""

    def __init__(self, message: str, code: int = 400):
        reasons = {400: "BadRequest", 403: "Forbidden", 404: "NotFound", 409: "Conflict", 422: "Invalid"}
        super().__init__(code, reasons.get(code, "BadRequest"), message)
