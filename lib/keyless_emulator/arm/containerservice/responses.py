"""Thin handlers for Microsoft.ContainerService/managedClusters, named after the REST operations."""
from __future__ import annotations

from starlette.responses import JSONResponse, Response

from ...clusters import cluster_meta
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
    body = await ctx.json()
    with ctx.state.lock:
        write = models.plan_create_or_update(ctx.state, *_where(ctx), body, actor=ctx.principal,
                                             if_match=ctx.request.headers.get("if-match"),
                                             if_none_match=ctx.request.headers.get("if-none-match"))
        ctx.state.resources.put(write.stored)
        cluster_meta(ctx.state, write.stored["id"])
        op = lro.begin(ctx, resource_id=write.stored["id"], location=write.stored["location"], kind="put",
                       final=write.final)
    assert write.response is not None
    return lro.accepted_put(ctx, op, models.render(ctx.backend, write.response), 201 if write.created else 200)


async def managed_clusters_update_tags(ctx: RequestContext) -> Response:
    body = await ctx.json()
    with ctx.state.lock:
        write = models.plan_update_tags(ctx.state, *_where(ctx), body, actor=ctx.principal)
        ctx.state.resources.put(write.stored)
        op = lro.begin(ctx, resource_id=write.stored["id"], location=write.stored["location"], kind="put",
                       final=write.final)
    return Response(status_code=202, headers={"Location": lro.result_url(ctx, op),
                                              "Azure-AsyncOperation": lro.status_url(ctx, op),
                                              "Retry-After": lro.retry_after(ctx, op)})


async def managed_clusters_delete(ctx: RequestContext) -> Response:
    with ctx.state.lock:
        write = models.plan_delete(ctx.state, *_where(ctx))
        if write is None:
            return Response(status_code=204)
        ctx.state.resources.put(write.stored)
        op = lro.begin(ctx, resource_id=write.stored["id"], location=write.stored["location"], kind="delete",
                       final=None)
    return lro.accepted_delete(ctx, op)


async def managed_clusters_list_cluster_user_credentials(ctx: RequestContext) -> Response:
    doc = models.get_cluster(ctx.state, *_where(ctx))
    return JSONResponse(models.user_credentials(ctx.backend, doc))
