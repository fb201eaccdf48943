"""Thin handlers for Microsoft.Resources, named after the REST operations."""
from __future__ import annotations

from starlette.responses import JSONResponse, Response

from ...context import RequestContext
from ...state import EmulatorState
from .. import lro
from ..authorization.rbac import is_allowed
from . import models


async def resource_groups_get(ctx: RequestContext) -> Response:
    return JSONResponse(models.get_group(ctx.state, ctx.params["subscription"], ctx.params["group"]))


async def resource_groups_check_existence(ctx: RequestContext) -> Response:
    exists = ctx.state.resources.exists(models.group_id(ctx.params["subscription"], ctx.params["group"]))
    return Response(status_code=204 if exists else 404)


async def resource_groups_create_or_update(ctx: RequestContext) -> Response:
    doc, created = models.create_or_update_group(ctx.state, ctx.params["subscription"], ctx.params["group"],
                                                 await ctx.json())
    return JSONResponse(doc, status_code=201 if created else 200)


async def resource_groups_delete(ctx: RequestContext) -> Response:
    doc = models.get_group(ctx.state, ctx.params["subscription"], ctx.params["group"])
    op = lro.begin(ctx, resource_id=doc["id"], location=doc["location"], kind="delete", final=None)
    return lro.accepted_delete(ctx, op)


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


def _visible_subscriptions(state: EmulatorState, principal_id: str, tenant_id: str) -> list[str]:
    return [s.id for s in sorted(state.subscriptions.values(), key=lambda s: s.id)
            if s.tenant_id == tenant_id and (is_allowed(state, principal_id, "Microsoft.Resources/subscriptions/read",
                                                        f"/subscriptions/{s.id}")
                                             or _has_any_assignment_under(state, principal_id, s.id))]


def _has_any_assignment_under(state: EmulatorState, principal_id: str, subscription: str) -> bool:
    prefix = f"/subscriptions/{subscription}".lower()
    return any(d["properties"]["principalId"] == principal_id and d["properties"]["scope"].lower().startswith(prefix)
               for d in state.resources.of_type("Microsoft.Authorization/roleAssignments"))


async def subscriptions_list(ctx: RequestContext) -> Response:
    assert ctx.principal is not None
    ids = _visible_subscriptions(ctx.state, ctx.principal.object_id, ctx.principal.tenant_id)
    return JSONResponse({"value": [models.subscription_document(ctx.state, s) for s in ids]})


async def subscriptions_get(ctx: RequestContext) -> Response:
    return JSONResponse(models.subscription_document(ctx.state, ctx.params["subscription"]))


async def tenants_list(ctx: RequestContext) -> Response:
    assert ctx.principal is not None
    t = ctx.state.tenants[ctx.principal.tenant_id]
    return JSONResponse({"value": [{"id": f"/tenants/{t.id}", "tenantId": t.id, "tenantCategory": "Home",
                                    "displayName": t.name, "defaultDomain": t.domain, "domains": [t.domain]}]})


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
