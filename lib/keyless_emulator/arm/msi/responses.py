"""Thin handlers for Microsoft.ManagedIdentity, named after the REST operations."""
from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse, Response

from ...context import RequestContext
from . import federation, models
from .paging import page


def _where(ctx: RequestContext) -> tuple[str, str, str]:
    return ctx.params["subscription"], ctx.params["group"], ctx.params["name"]


def _list_link(ctx: RequestContext) -> str:
    return ctx.base_url + ctx.path


# -- user-assigned identities ----------------------------------------------------------------
async def user_assigned_identities_create_or_update(ctx: RequestContext) -> Response:
    doc, created = models.create_or_update_identity(ctx.state, *_where(ctx), await ctx.json())
    return JSONResponse(doc, status_code=201 if created else 200)


async def user_assigned_identities_get(ctx: RequestContext) -> Response:
    return JSONResponse(models.get_identity(ctx.state, *_where(ctx)))


async def user_assigned_identities_update(ctx: RequestContext) -> Response:
    return JSONResponse(models.update_identity(ctx.state, *_where(ctx), await ctx.json()))


async def user_assigned_identities_delete(ctx: RequestContext) -> Response:
    deleted = models.delete_identity(ctx.state, *_where(ctx))
    return Response(status_code=200 if deleted else 204)


async def user_assigned_identities_list_by_resource_group(ctx: RequestContext) -> Response:
    docs = models.list_in_group(ctx.state, ctx.params["subscription"], ctx.params["group"])
    return JSONResponse(page(docs, ctx.query, _list_link(ctx), ctx.api_version))


async def user_assigned_identities_list_by_subscription(ctx: RequestContext) -> Response:
    docs = models.list_in_subscription(ctx.state, ctx.params["subscription"])
    return JSONResponse(page(docs, ctx.query, _list_link(ctx), ctx.api_version))


# -- federated identity credentials ------------------------------------------------------------
async def federated_identity_credentials_create_or_update(ctx: RequestContext) -> Response:
    body = await ctx.json()
    state, name = ctx.state, ctx.params["fic"]
    with state.lock:
        identity = federation.parent(state, *_where(ctx), "write")
        federation.validate_name(name)
        properties = federation.validate_body(body)
        federation.check_rules(state, identity["id"], name, properties)
        hold = federation.claim(state, identity["id"])
    try:
        await asyncio.sleep(hold)
        with state.lock:
            doc, created = federation.store(state, identity, name, properties)
    finally:
        with state.lock:
            federation.release(state, identity["id"])
    return JSONResponse(doc, status_code=201 if created else 200)


async def federated_identity_credentials_get(ctx: RequestContext) -> Response:
    return JSONResponse(federation.get_credential(ctx.state, *_where(ctx), ctx.params["fic"]))


async def federated_identity_credentials_list(ctx: RequestContext) -> Response:
    identity = federation.parent(ctx.state, *_where(ctx), "read")
    docs = federation.credentials_of(ctx.state, identity["id"])
    return JSONResponse(page(docs, ctx.query, _list_link(ctx), ctx.api_version))


async def federated_identity_credentials_delete(ctx: RequestContext) -> Response:
    state = ctx.state
    with state.lock:
        identity = federation.parent(state, *_where(ctx), "delete")
        hold = federation.claim(state, identity["id"])
    try:
        await asyncio.sleep(hold)
        with state.lock:
            deleted = federation.remove(state, identity, ctx.params["fic"])
    finally:
        with state.lock:
            federation.release(state, identity["id"])
    return Response(status_code=200 if deleted else 204)
