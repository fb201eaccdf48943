"""Thin handlers for Microsoft.ManagedIdentity, named after the REST operations: parse the
request, make one model call, render the answer (lists paged as MSI pages them)."""
from __future__ import annotations

from starlette.responses import JSONResponse, Response

from ...context import RequestContext
from ..paging import page
from . import models


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
    doc, created = await models.create_or_update_credential(ctx.state, *_where(ctx), ctx.params["fic"],
                                                            await ctx.json())
    return JSONResponse(doc, status_code=201 if created else 200)


async def federated_identity_credentials_get(ctx: RequestContext) -> Response:
    return JSONResponse(models.get_credential(ctx.state, *_where(ctx), ctx.params["fic"]))


async def federated_identity_credentials_list(ctx: RequestContext) -> Response:
    docs = models.list_credentials(ctx.state, *_where(ctx))
    return JSONResponse(page(docs, ctx.query, _list_link(ctx), ctx.api_version))


async def federated_identity_credentials_delete(ctx: RequestContext) -> Response:
    deleted = await models.delete_credential(ctx.state, *_where(ctx), ctx.params["fic"])
    return Response(status_code=200 if deleted else 204)
