"""Thin handlers for Microsoft Graph, named after the Graph API operations."""
from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from ..context import RequestContext
from . import models
from .security import PREFIX


def _tenant(ctx: RequestContext) -> str:
    assert ctx.principal is not None
    return ctx.principal.tenant_id


def _context(ctx: RequestContext, fragment: str) -> str:
    return f"{ctx.base_url}{PREFIX}/v1.0/$metadata#{fragment}"


def _collection(ctx: RequestContext, fragment: str, value: list[dict[str, Any]]) -> Response:
    return JSONResponse({"@odata.context": _context(ctx, fragment), "value": value})


def _entity(ctx: RequestContext, fragment: str, doc: dict[str, Any]) -> Response:
    body = {"@odata.context": _context(ctx, fragment + "/$entity")}
    body.update({k: v for k, v in doc.items() if k != "@odata.type"})
    return JSONResponse(body)


async def service_principal_list(ctx: RequestContext) -> Response:
    docs = models.list_service_principals(ctx.state, _tenant(ctx), ctx.query.get("$filter", ""))
    return _collection(ctx, "servicePrincipals", [{k: v for k, v in d.items() if k != "@odata.type"} for d in docs])


async def service_principal_get(ctx: RequestContext) -> Response:
    return _entity(ctx, "servicePrincipals", models.get_service_principal(ctx.state, _tenant(ctx), ctx.params["id"]))


async def service_principal_get_by_app_id(ctx: RequestContext) -> Response:
    doc = models.get_service_principal_by_app_id(ctx.state, _tenant(ctx), ctx.params["app_id"])
    return _entity(ctx, "servicePrincipals", doc)


async def user_list(ctx: RequestContext) -> Response:
    return _collection(ctx, "users", models.list_users(ctx.query.get("$filter", "")))


async def directory_object_get_by_ids(ctx: RequestContext) -> Response:
    found = models.get_by_ids(ctx.state, _tenant(ctx), await ctx.json())
    return _collection(ctx, "directoryObjects", found)
