"""Thin handlers for Microsoft.Authorization, named after the REST operations: parse the request,
make one model call, render the answer."""
from __future__ import annotations

from starlette.responses import JSONResponse, Response

from ...context import RequestContext
from . import models


def _scope(ctx: RequestContext) -> str:
    return models.clean_scope(ctx.params.get("scope", ""))


async def role_definitions_get(ctx: RequestContext) -> Response:
    return JSONResponse(models.get_definition(_scope(ctx), ctx.params["definition"]))


async def role_definitions_list(ctx: RequestContext) -> Response:
    return JSONResponse({"value": models.list_definitions(_scope(ctx), ctx.query.get("$filter", ""))})


async def role_assignments_create(ctx: RequestContext) -> Response:
    caller = ctx.principal.object_id if ctx.principal else None
    doc, created = models.create_assignment(ctx.state, _scope(ctx), ctx.params["name"], await ctx.json(),
                                            caller_id=caller)
    return JSONResponse(doc, status_code=201 if created else 200)


async def role_assignments_get(ctx: RequestContext) -> Response:
    return JSONResponse(models.get_assignment(ctx.state, _scope(ctx), ctx.params["name"]))


async def role_assignments_delete(ctx: RequestContext) -> Response:
    doc = models.delete_assignment(ctx.state, _scope(ctx), ctx.params["name"])
    return JSONResponse(doc) if doc is not None else Response(status_code=204)


async def role_assignments_list_for_scope(ctx: RequestContext) -> Response:
    return JSONResponse({"value": models.list_assignments(ctx.state, _scope(ctx), ctx.query.get("$filter", ""))})


async def permissions_list_for_scope(ctx: RequestContext) -> Response:
    """The caller's own effective permissions at a scope (what `az` uses to ask "may I assign roles here?")."""
    assert ctx.principal is not None
    return JSONResponse({"value": models.permissions_for(ctx.state, ctx.principal.object_id, _scope(ctx))})
