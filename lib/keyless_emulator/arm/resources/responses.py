"""Thin handlers for Microsoft.Resources, named after the REST operations."""
from __future__ import annotations

from starlette.responses import JSONResponse, Response

from ...context import RequestContext
from .. import lro
from . import models


async def resource_groups_get(ctx: RequestContext) -> Response:
    return JSONResponse(models.get_group(ctx.state, ctx.params["subscription"], ctx.params["group"]))


async def resource_groups_check_existence(ctx: RequestContext) -> Response:
    exists = models.group_exists(ctx.state, ctx.params["subscription"], ctx.params["group"])
    return Response(status_code=204 if exists else 404)


async def resource_groups_create_or_update(ctx: RequestContext) -> Response:
    doc, created = models.create_or_update_group(ctx.state, ctx.params["subscription"], ctx.params["group"],
                                                 await ctx.json())
    return JSONResponse(doc, status_code=201 if created else 200)


async def resource_groups_delete(ctx: RequestContext) -> Response:
    started = models.delete_group(ctx.backend, ctx.params["subscription"], ctx.params["group"])
    return lro.accepted_delete(ctx, started.operation)


async def resource_groups_list(ctx: RequestContext) -> Response:
    return JSONResponse({"value": models.list_groups(ctx.state, ctx.params["subscription"])})


async def resources_list_by_resource_group(ctx: RequestContext) -> Response:
    items = models.list_resources(ctx.state, ctx.params["subscription"], ctx.params["group"],
                                  ctx.query.get("$filter", ""), ctx.query.get("$expand", ""))
    return JSONResponse({"value": items})


async def resources_list(ctx: RequestContext) -> Response:
    items = models.list_resources(ctx.state, ctx.params["subscription"], None, ctx.query.get("$filter", ""),
                                  ctx.query.get("$expand", ""))
    return JSONResponse({"value": items})


async def subscriptions_list(ctx: RequestContext) -> Response:
    return JSONResponse({"value": models.list_subscriptions(ctx.state, ctx.readable)})


async def subscriptions_get(ctx: RequestContext) -> Response:
    return JSONResponse(models.subscription_document(ctx.state, ctx.params["subscription"]))


async def subscriptions_list_locations(ctx: RequestContext) -> Response:
    return JSONResponse({"value": models.list_locations(ctx.state, ctx.params["subscription"])})


async def tenants_list(ctx: RequestContext) -> Response:
    assert ctx.principal is not None
    return JSONResponse({"value": models.tenant_documents(ctx.state, ctx.principal.tenant_id)})


async def metadata_endpoints(ctx: RequestContext) -> Response:
    """Cloud metadata (api-version 2022-09-01's shape), so `az cloud register` and the runbook's `cloud`
    parameter can discover the emulator. Endpoints are the emulator's; Resource Manager's token audiences
    are the real ones its Entra issues for, listed as Azure lists them; suffixes carry no leading dot, as
    Azure's do. `microsoftGraphResourceId` is the emulator's Graph: az sends Graph calls there and asks
    for tokens with that audience (the emulator's Entra issues them)."""
    base = ctx.base_url
    return JSONResponse({
        "name": "KeylessEmulator", "portal": base, "resourceManager": base + "/",
        "authentication": {"loginEndpoint": base, "audiences": ["https://management.core.windows.net/",
                                                                "https://management.azure.com/"],
                           "tenant": "common", "identityProvider": "AAD"},
        "graph": "https://graph.windows.net/", "graphAudience": "https://graph.windows.net/", "media": base + "/",
        "activeDirectoryDataLake": base + "/", "batch": base + "/", "gallery": base + "/",
        "vmImageAliasDoc": base + "/", "sqlManagement": base + "/", "microsoftGraphResourceId": base + "/graph/",
        "appInsightsResourceId": base + "/", "appInsightsTelemetryChannelResourceId": base + "/",
        "attestationResourceId": base + "/", "synapseAnalyticsResourceId": base + "/",
        "logAnalyticsResourceId": base + "/", "ossrDbmsResourceId": base + "/",
        "suffixes": {"acrLoginServer": "azurecr.io", "keyVaultDns": "vault.azure.net",
                     "storage": "core.windows.net", "sqlServerHostname": "database.windows.net"},
    })
