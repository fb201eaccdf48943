"""Thin handlers for Microsoft.ContainerService/managedClusters, named after the REST operations:
parse the request, make one model call, render the answer (the issuer URL and kubeconfig are
rendered from the emulator's URL)."""
from __future__ import annotations

from starlette.responses import JSONResponse, Response

from ...context import RequestContext
from .. import lro
from . import models


def _where(ctx: RequestContext) -> tuple[str, str, str]:
    return ctx.params["subscription"], ctx.params["group"], ctx.params["name"]


async def managed_clusters_get(ctx: RequestContext) -> Response:
    return JSONResponse(models.render(ctx.backend, models.get_cluster(ctx.state, *_where(ctx))))


async def managed_clusters_list_by_resource_group(ctx: RequestContext) -> Response:
    docs = models.list_in_group(ctx.state, ctx.params["subscription"], ctx.params["group"])
    return JSONResponse({"value": [models.render(ctx.backend, d) for d in docs]})


async def managed_clusters_list(ctx: RequestContext) -> Response:
    docs = models.list_in_subscription(ctx.state, ctx.params["subscription"])
    return JSONResponse({"value": [models.render(ctx.backend, d) for d in docs]})


async def managed_clusters_create_or_update(ctx: RequestContext) -> Response:
    started = models.create_or_update_cluster(ctx.backend, *_where(ctx), await ctx.json(), actor=ctx.principal,
                                              if_match=ctx.request.headers.get("if-match"),
                                              if_none_match=ctx.request.headers.get("if-none-match"))
    assert started.document is not None
    return lro.accepted_put(ctx, started.operation, models.render(ctx.backend, started.document),
                            201 if started.created else 200)


async def managed_clusters_update_tags(ctx: RequestContext) -> Response:
    started = models.update_tags(ctx.backend, *_where(ctx), await ctx.json(), actor=ctx.principal)
    return lro.accepted_patch(ctx, started.operation)


async def managed_clusters_delete(ctx: RequestContext) -> Response:
    started = models.delete_cluster(ctx.backend, *_where(ctx))
    return Response(status_code=204) if started is None else lro.accepted_delete(ctx, started.operation)


async def managed_clusters_list_cluster_user_credentials(ctx: RequestContext) -> Response:
    return JSONResponse(models.user_credentials(ctx.backend, models.get_cluster(ctx.state, *_where(ctx)),
                                                ctx.query.get("format")))


async def managed_clusters_list_cluster_admin_credentials(ctx: RequestContext) -> Response:
    return JSONResponse(models.admin_credentials(ctx.backend, models.get_cluster(ctx.state, *_where(ctx))))
