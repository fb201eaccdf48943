"""Thin handlers for the cluster OIDC issuers."""
from __future__ import annotations

from starlette.responses import JSONResponse, Response

from ..context import RequestContext
from . import models

_CACHE = {"Cache-Control": "public, max-age=3600"}


def _cluster(ctx: RequestContext) -> dict:
    p = ctx.params
    return models.issuer_cluster(ctx.backend, p["location"], p["tenant"], p["issuer"])


async def openid_configuration(ctx: RequestContext) -> Response:
    return JSONResponse(models.discovery_document(ctx.backend, _cluster(ctx)), headers=_CACHE)


async def jwks(ctx: RequestContext) -> Response:
    _cluster(ctx)
    return JSONResponse(models.jwks(ctx.backend, ctx.params["issuer"]), headers=_CACHE)
