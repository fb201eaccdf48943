"""Thin handlers for Microsoft.CognitiveServices, named after the REST operations: parse the
request, make one model call, render the answer (accounts with the endpoints the emulator serves)."""
from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from ...context import RequestContext
from .. import lro
from . import models


def _caller(ctx: RequestContext) -> str | None:
    return ctx.principal.app_id if ctx.principal else None


def _account(ctx: RequestContext) -> tuple[str, str, str]:
    p = ctx.params
    return p["subscription"], p["group"], p["account"]


def _deployment(ctx: RequestContext) -> tuple[str, str, str, str]:
    return *_account(ctx), ctx.params["deployment"]


def _render(ctx: RequestContext, doc: dict[str, Any]) -> dict[str, Any]:
    return models.render_account(doc, ctx.base_url)


async def accounts_get(ctx: RequestContext) -> Response:
    return JSONResponse(_render(ctx, models.get_account(ctx.state, *_account(ctx))))


async def accounts_list_by_resource_group(ctx: RequestContext) -> Response:
    docs = models.list_accounts(ctx.state, ctx.params["subscription"], ctx.params["group"], ctx.readable)
    return JSONResponse({"value": [_render(ctx, d) for d in docs]})


async def accounts_list(ctx: RequestContext) -> Response:
    docs = models.list_accounts(ctx.state, ctx.params["subscription"], None, ctx.readable)
    return JSONResponse({"value": [_render(ctx, d) for d in docs]})


async def accounts_create(ctx: RequestContext) -> Response:
    started = models.create_account(ctx.backend, *_account(ctx), await ctx.json(), _caller(ctx))
    assert started.document is not None
    return lro.accepted_put(ctx, started.operation, _render(ctx, started.document), 201 if started.created else 200)


async def accounts_update(ctx: RequestContext) -> Response:
    started = models.update_account(ctx.backend, *_account(ctx), await ctx.json(), _caller(ctx))
    assert started.document is not None
    return lro.accepted_put(ctx, started.operation, _render(ctx, started.document), 200)


async def accounts_delete(ctx: RequestContext) -> Response:
    return lro.accepted_delete(ctx, models.delete_account(ctx.backend, *_account(ctx)).operation)


async def accounts_list_keys(ctx: RequestContext) -> Response:
    return JSONResponse(models.list_keys(ctx.state, *_account(ctx)))


async def accounts_regenerate_key(ctx: RequestContext) -> Response:
    return JSONResponse(models.regenerate_key(ctx.state, *_account(ctx), await ctx.json(default={})))


async def deployments_get(ctx: RequestContext) -> Response:
    return JSONResponse(models.find_deployment(ctx.state, *_deployment(ctx)))


async def deployments_list(ctx: RequestContext) -> Response:
    return JSONResponse({"value": models.list_deployments(ctx.state, *_account(ctx))})


async def deployments_create_or_update(ctx: RequestContext) -> Response:
    started = models.create_or_update_deployment(ctx.backend, *_deployment(ctx), await ctx.json(), _caller(ctx))
    assert started.document is not None
    return lro.accepted_put(ctx, started.operation, started.document, 201 if started.created else 200)


async def deployments_delete(ctx: RequestContext) -> Response:
    return lro.accepted_delete(ctx, models.delete_deployment(ctx.backend, *_deployment(ctx)).operation)


def _deleted(ctx: RequestContext) -> tuple[str, str, str, str]:
    p = ctx.params
    return p["subscription"], p["location"], p["group"], p["account"]


async def deleted_accounts_list(ctx: RequestContext) -> Response:
    docs = models.list_deleted_accounts(ctx.state, ctx.params["subscription"])
    return JSONResponse({"value": [models.render_deleted(d) for d in docs]})


async def deleted_accounts_get(ctx: RequestContext) -> Response:
    return JSONResponse(models.render_deleted(models.get_deleted_account(ctx.state, *_deleted(ctx))))


async def deleted_accounts_purge(ctx: RequestContext) -> Response:
    return lro.accepted_delete(ctx, models.purge_deleted_account(ctx.backend, *_deleted(ctx)).operation)
