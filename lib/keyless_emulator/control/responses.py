"""Thin handlers for the control API."""
from __future__ import annotations

from starlette.responses import JSONResponse, Response

from ..context import BodyError, RequestContext
from ..faults import FaultSpecError, parse_faults
from ..latency import LatencySpecError, parse_latency
from ..scenarios import SCENARIOS, UnknownScenario, load_scenario
from .errors import ControlError


async def health(ctx: RequestContext) -> Response:
    b = ctx.backend
    return JSONResponse({"status": "ok", "url": b.base_url, "scenario": b.state.scenario,
                         "deterministic": b.config.deterministic, "latency": b.latency.get().profile,
                         "scenarios": sorted(SCENARIOS)})


async def reset(ctx: RequestContext) -> Response:
    try:
        body = await ctx.json(default={}) or {}
    except BodyError as e:
        raise ControlError(400, "InvalidBody", str(e)) from None
    if not isinstance(body, dict):
        raise ControlError(400, "InvalidBody", 'body must be {"scenario": "<name>"}')
    name = body.get("scenario", ctx.backend.config.scenario)
    try:
        load_scenario(ctx.backend, name)
    except UnknownScenario as e:
        raise ControlError(400, "UnknownScenario", str(e)) from None
    ctx.backend.faults.clear()
    return JSONResponse({"scenario": name, "status": "reset"})


async def get_snapshot(ctx: RequestContext) -> Response:
    return JSONResponse(ctx.state.snapshot())


async def put_snapshot(ctx: RequestContext) -> Response:
    try:
        body = await ctx.json()
        ctx.state.restore(body if isinstance(body, dict) else {})
    except (BodyError, ValueError, TypeError, KeyError) as e:
        raise ControlError(400, "InvalidSnapshot", f"The snapshot could not be restored: {e}") from None
    return JSONResponse({"status": "restored", "scenario": ctx.state.scenario})


def _since(ctx: RequestContext) -> int:
    """The `since` sequence number of a log read (0: from the start)."""
    try:
        return int(ctx.query.get("since", "0"))
    except ValueError:
        raise ControlError(400, "InvalidQuery", "since must be an integer sequence number") from None


async def get_requests(ctx: RequestContext) -> Response:
    return JSONResponse(ctx.backend.log.report(_since(ctx)))


async def get_openai_calls(ctx: RequestContext) -> Response:
    """Azure OpenAI's record of who called it and how (openai/calls.py), after sequence number `since`."""
    return JSONResponse(ctx.backend.openai_calls.report(_since(ctx)))


async def delete_requests(ctx: RequestContext) -> Response:
    ctx.backend.log.clear()
    return Response(status_code=204)


async def get_faults(ctx: RequestContext) -> Response:
    return JSONResponse({"faults": ctx.backend.faults.list()})


async def put_faults(ctx: RequestContext) -> Response:
    try:
        faults = parse_faults(await ctx.json())
    except (BodyError, FaultSpecError, TypeError) as e:
        raise ControlError(400, "InvalidFaults", str(e)) from None
    ctx.backend.faults.set(faults)
    return JSONResponse({"faults": ctx.backend.faults.list()})


async def delete_faults(ctx: RequestContext) -> Response:
    ctx.backend.faults.clear()
    return Response(status_code=204)


async def get_latency(ctx: RequestContext) -> Response:
    return JSONResponse(ctx.backend.latency.get().describe())


async def put_latency(ctx: RequestContext) -> Response:
    try:
        profile = parse_latency(await ctx.json())
    except (BodyError, LatencySpecError, TypeError) as e:
        raise ControlError(400, "InvalidLatency", str(e)) from None
    ctx.backend.latency.set(profile)
    return JSONResponse(profile.describe())


async def get_settings(ctx: RequestContext) -> Response:
    return JSONResponse(ctx.state.settings)


async def put_settings(ctx: RequestContext) -> Response:
    """Behaviour switches, e.g. {"federation_propagation_seconds": 5}."""
    try:
        body = await ctx.json()
    except BodyError as e:
        raise ControlError(400, "InvalidBody", str(e)) from None
    from ..settings import SettingsError, validate_settings
    try:
        validated = validate_settings(body)
    except SettingsError as e:
        raise ControlError(400, "InvalidSettings", str(e)) from None
    with ctx.state.lock:
        ctx.state.settings.update(validated)
    return JSONResponse(ctx.state.settings)


async def post_tenant(ctx: RequestContext) -> Response:
    """A new tenant seeded like before-you-begin; answers its operator's client secret (admin only)."""
    from . import tenants

    try:
        name = tenants.tenant_name(await ctx.json())
    except (BodyError, tenants.TenantSpecError) as e:
        raise ControlError(400, "InvalidTenant", str(e)) from None
    try:
        created = tenants.create(ctx.backend, name)
    except tenants.TenantExists as e:
        raise ControlError(409, "TenantExists", str(e)) from None
    return JSONResponse(created, status_code=201, headers={"Cache-Control": "no-store"})


async def get_tenants(ctx: RequestContext) -> Response:
    from . import tenants

    return JSONResponse({"tenants": tenants.listing(ctx.backend)})


async def delete_tenant(ctx: RequestContext) -> Response:
    """Remove a workshop tenant and everything in it (not the emulator's own)."""
    from .. import tenancy

    try:
        tenancy.remove(ctx.backend, ctx.params["name"])
    except tenancy.TenantNotFound as e:
        raise ControlError(404, "TenantNotFound", str(e)) from None
    except tenancy.DefaultTenantKept as e:
        raise ControlError(409, "DefaultTenant", str(e)) from None
    return Response(status_code=204)


async def reset_tenant(ctx: RequestContext) -> Response:
    """One tenant back to before-you-begin; every other tenant, faults and settings are left as they are."""
    from .. import tenancy

    name = ctx.params["name"]
    try:
        seeded = tenancy.reset(ctx.backend, name)
    except tenancy.TenantNotFound as e:
        raise ControlError(404, "TenantNotFound", str(e)) from None
    return JSONResponse({"name": name, "scenario": tenancy.RESET_SCENARIO, "status": "reset",
                         "subscription_id": seeded.subscription.id})


async def get_dashboard(ctx: RequestContext) -> Response:
    """The facilitator's page (no data in it: it polls get_progress with the credentials it was opened with)."""
    from starlette.responses import HTMLResponse

    from .dashboard import page

    return HTMLResponse(page(), headers={"Cache-Control": "no-store", "Content-Security-Policy":
                                         "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"})


async def get_progress(ctx: RequestContext) -> Response:
    """Every tenant's progress through the article, link by link (progress.py)."""
    from ..progress import LABELS, LINKS, room

    return JSONResponse({"links": [{"name": n, "label": LABELS[n]} for n in LINKS], "tenants": room(ctx.backend)},
                        headers={"Cache-Control": "no-store"})
