"""Long-running operations the way Resource Manager runs them.

A long PUT answers 201 (create) or 200 (update) with a non-terminal provisioningState and an
`Azure-AsyncOperation` URL; a long DELETE answers 202 with `Location` and
`Azure-AsyncOperation`. Both carry `Retry-After` of at least 1 second (0 would make the SDK
fall back to its 30 s default). The operation settles when the latency profile says so; with
the `instant` profile that is at the client's first poll.

Models begin operations (`begin`, under their lock, with the document the store holds once the
operation settles); handlers only render the first answer (`accepted_put`, `accepted_patch`,
`accepted_delete`) from the `Started` the model returns.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response

from ..backend import Backend
from ..context import RequestContext
from ..state import Operation
from .errors import operation_failed, operation_not_found

MAX_RETRY_AFTER = 15


def _type_of(resource_id: str) -> str:
    """'/subscriptions/s/resourceGroups/g/providers/A.B/x/n/y/m' -> 'A.B/x/y'."""
    parts = resource_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        return "Microsoft.Resources/resourceGroups"
    i = len(lowered) - 1 - lowered[::-1].index("providers")
    ns, rest = parts[i + 1], parts[i + 2:]
    return "/".join([ns] + rest[0::2])


@dataclass(frozen=True)
class Started:
    """A long-running write as a model began it: the operation, the document the first answer
    shows (None: no body), and whether the write creates the resource (201) or not (200)."""

    operation: Operation
    document: dict[str, Any] | None = None
    created: bool = False


def begin(backend: Backend, *, resource_id: str, location: str, kind: str,
          final: dict[str, Any] | None, leaves: list[dict[str, Any]] | None = None) -> Operation:
    """Record an operation whose effect (store `final`, or delete and store what it `leaves`) happens
    when it settles."""
    state = backend.state
    resource_type = _type_of(resource_id)
    duration = backend.latency.get().duration(resource_type, kind)
    now = backend.clock.time()
    op = Operation(id=state.ids.guid("operation", resource_id, kind), resource_id=resource_id,
                   namespace=resource_type.split("/")[0], location=(location or "global").replace(" ", "").lower(),
                   kind=kind, started=now, settle_after=now + duration, final=final,
                   start_time=backend.clock.iso(), leaves=list(leaves or []))
    with state.lock:
        state.operations[op.id] = op
    return op


def _subscription_of(resource_id: str) -> str:
    return resource_id.strip("/").split("/")[1]


def status_url(ctx: RequestContext, op: Operation) -> str:
    return (f"{ctx.base_url}/subscriptions/{_subscription_of(op.resource_id)}/providers/{op.namespace}"
            f"/locations/{op.location}/operations/{op.id}?api-version={ctx.api_version}")


def result_url(ctx: RequestContext, op: Operation) -> str:
    return (f"{ctx.base_url}/subscriptions/{_subscription_of(op.resource_id)}/providers/{op.namespace}"
            f"/locations/{op.location}/operationresults/{op.id}?api-version={ctx.api_version}")


def retry_after(ctx: RequestContext, op: Operation) -> str:
    remaining = op.settle_after - ctx.backend.clock.time()
    return str(max(1, min(MAX_RETRY_AFTER, math.ceil(remaining))))


def accepted_put(ctx: RequestContext, op: Operation, body: dict[str, Any], status: int) -> Response:
    return JSONResponse(body, status_code=status, headers={
        "Azure-AsyncOperation": status_url(ctx, op), "Retry-After": retry_after(ctx, op)})


def accepted_patch(ctx: RequestContext, op: Operation) -> Response:
    """A long PATCH without a body (AKS's tags update): 202 with both polling URLs."""
    return Response(status_code=202, headers={
        "Location": result_url(ctx, op), "Azure-AsyncOperation": status_url(ctx, op),
        "Retry-After": retry_after(ctx, op)})


def accepted_delete(ctx: RequestContext, op: Operation) -> Response:
    return Response(status_code=202, headers={
        "Location": result_url(ctx, op), "Azure-AsyncOperation": status_url(ctx, op),
        "Retry-After": retry_after(ctx, op)})


def _operation(ctx: RequestContext) -> Operation:
    op = ctx.state.operations.get(ctx.params["operation"])
    if op is None or _subscription_of(op.resource_id).lower() != ctx.params["subscription"].lower():
        raise operation_not_found(ctx.params["operation"])
    return op


async def get_operation_status(ctx: RequestContext) -> Response:
    op = _operation(ctx)
    body: dict[str, Any] = {"id": status_url(ctx, op).split("?")[0].replace(ctx.base_url, ""), "name": op.id,
                            "status": op.status, "startTime": op.start_time}
    if op.end_time:
        body["endTime"] = op.end_time
    if op.error:
        body["error"] = op.error
    headers = {"Retry-After": retry_after(ctx, op)} if op.status == "InProgress" else {}
    return JSONResponse(body, headers=headers)


async def get_operation_result(ctx: RequestContext) -> Response:
    op = _operation(ctx)
    if op.status == "InProgress":
        return Response(status_code=202, headers={"Location": result_url(ctx, op), "Retry-After": retry_after(ctx, op)})
    if op.status in ("Failed", "Canceled"):
        error = op.error or {"code": "OperationFailed", "message": "The operation failed."}
        raise operation_failed(error)
    if op.kind == "delete":
        return Response(status_code=204)
    doc = ctx.state.resources.get(op.resource_id)
    return JSONResponse(doc) if doc is not None else Response(status_code=204)
