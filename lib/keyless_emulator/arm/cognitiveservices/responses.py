"""Thin handlers for Microsoft.CognitiveServices, named after the REST operations."""
from __future__ import annotations

from starlette.responses import JSONResponse, Response

from ...context import RequestContext
from .. import lro
from ..errors import authorization_failed
from ..scopes import group_scope, subscription_scope
from . import models


def _caller(ctx: RequestContext) -> str | None:
    return ctx.principal.app_id if ctx.principal else None


def _account(ctx: RequestContext) -> dict:
    p = ctx.params
    return models.get_account(ctx.state, p["subscription"], p["group"], p["account"])


def _render(ctx: RequestContext, doc: dict) -> dict:
    return models.render_account(doc, ctx.base_url)


def _visible(ctx: RequestContext, scope: str, docs: list[dict]) -> list[dict]:
    assert ctx.principal is not None
    visible = models.readable_accounts(ctx.state, ctx.principal.object_id, scope, docs)
    if visible is None:
        raise authorization_failed(ctx.principal.app_id, ctx.principal.object_id, models.ACCOUNT_READ, scope)
    return visible


async def accounts_get(ctx: RequestContext) -> Response:
    return JSONResponse(_render(ctx, _account(ctx)))


async def accounts_list_by_resource_group(ctx: RequestContext) -> Response:
    docs = models.list_accounts(ctx.state, ctx.params["subscription"], ctx.params["group"])
    return JSONResponse({"value": [_render(ctx, d) for d in _visible(ctx, group_scope(ctx.params), docs)]})


async def accounts_list(ctx: RequestContext) -> Response:
    docs = models.list_accounts(ctx.state, ctx.params["subscription"], None)
    return JSONResponse({"value": [_render(ctx, d) for d in _visible(ctx, subscription_scope(ctx.params), docs)]})


async def accounts_create(ctx: RequestContext) -> Response:
    p = ctx.params
    doc, final, created = models.put_account(ctx.state, p["subscription"], p["group"], p["account"], await ctx.json(),
                                             _caller(ctx))
    op = lro.begin(ctx, resource_id=doc["id"], location=doc["location"], kind="put", final=final)
    return lro.accepted_put(ctx, op, _render(ctx, doc), 201 if created else 200)


async def accounts_update(ctx: RequestContext) -> Response:
    doc, final = models.patch_account(ctx.state, _account(ctx), await ctx.json(), _caller(ctx))
    op = lro.begin(ctx, resource_id=doc["id"], location=doc["location"], kind="put", final=final)
    return lro.accepted_put(ctx, op, _render(ctx, doc), 200)


async def accounts_delete(ctx: RequestContext) -> Response:
    doc = _account(ctx)
    op = lro.begin(ctx, resource_id=doc["id"], location=doc["location"], kind="delete", final=None)
    return lro.accepted_delete(ctx, op)


async def accounts_list_keys(ctx: RequestContext) -> Response:
    return JSONResponse(models.list_keys(ctx.state, _account(ctx)))


async def accounts_regenerate_key(ctx: RequestContext) -> Response:
    return JSONResponse(models.regenerate_key(ctx.state, _account(ctx), await ctx.json(default={})))


async def deployments_get(ctx: RequestContext) -> Response:
    return JSONResponse(models.get_deployment(ctx.state, _account(ctx), ctx.params["deployment"]))


async def deployments_list(ctx: RequestContext) -> Response:
    return JSONResponse({"value": models.list_deployments(ctx.state, _account(ctx))})


async def deployments_create_or_update(ctx: RequestContext) -> Response:
    p = ctx.params
    doc, final, created = models.put_deployment(ctx.state, p["subscription"], p["group"], p["account"],
                                                p["deployment"], await ctx.json(), _caller(ctx))
    location = models.get_account(ctx.state, p["subscription"], p["group"], p["account"])["location"]
    op = lro.begin(ctx, resource_id=doc["id"], location=location, kind="put", final=final)
    return lro.accepted_put(ctx, op, doc, 201 if created else 200)


async def deployments_delete(ctx: RequestContext) -> Response:
    account = _account(ctx)
    doc = models.get_deployment(ctx.state, account, ctx.params["deployment"])
    op = lro.begin(ctx, resource_id=doc["id"], location=account["location"], kind="delete", final=None)
    return lro.accepted_delete(ctx, op)
