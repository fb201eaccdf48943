"""The emulator as one ASGI application: the whole URL space, and the handler chain.

Chain, for every request: request id -> settle due operations -> route -> fault injection ->
authentication (and, for Resource Manager, authorization) -> handler -> error rendering ->
request log. Services never deal with auth, faults or logging themselves.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from . import surfaces
from .arm import security as arm_security
from .arm.authorization.routes import ROUTES as AUTHORIZATION_ROUTES
from .arm.cognitiveservices.routes import ROUTES as COGNITIVE_ROUTES
from .arm.containerservice.routes import ROUTES as CONTAINER_ROUTES
from .arm.msi.routes import ROUTES as MSI_ROUTES
from .arm.resources.routes import ROUTES as RESOURCES_ROUTES
from .backend import Backend
from .context import BodyError, RequestContext
from .control import security as control_security
from .control.routes import ROUTES as CONTROL_ROUTES
from .entra.routes import ROUTES as ENTRA_ROUTES
from .errors import EmulatorError
from .graph import security as graph_security
from .graph.routes import ROUTES as GRAPH_ROUTES
from .kubelet.routes import ROUTES as NODE_ROUTES
from .kubernetes import security as kubernetes_security
from .kubernetes.routes import ROUTES as KUBERNETES_ROUTES
from .oidc.routes import ROUTES as OIDC_ROUTES
from .openai import calls as openai_calls
from .openai import security as openai_security
from .openai.routes import ROUTES as OPENAI_ROUTES
from .routing import (
    AUTH_ARM,
    AUTH_CONTROL,
    AUTH_GRAPH,
    AUTH_KUBERNETES,
    AUTH_NONE,
    AUTH_OPENAI,
    AUTH_OWN,
    Route,
    Router,
)

log = logging.getLogger("keyless_emulator")
access_log = logging.getLogger("keyless_emulator.access")


def all_routes() -> list[Route]:
    """Every route the emulator serves, in matching order (first match wins)."""
    return [
        *CONTROL_ROUTES,        # /_emulator/...
        *OIDC_ROUTES,           # /oidc/{issuer}/...            cluster OIDC issuers
        *OPENAI_ROUTES,         # /aoai/{subdomain}/openai/...  Azure OpenAI data plane
        *KUBERNETES_ROUTES,     # /k8s/{cluster}/...            cluster API servers
        *NODE_ROUTES,           # /_imds/...                    what a pod without an identity sees as IMDS
        *GRAPH_ROUTES,          # /graph/v1.0/...               Microsoft Graph (service principals)
        *ENTRA_ROUTES,          # /{tenant}/oauth2/v2.0/token and discovery
        *RESOURCES_ROUTES,      # Resource Manager: subscriptions, groups, resources, operations
        *CONTAINER_ROUTES,      #   Microsoft.ContainerService
        *MSI_ROUTES,            #   Microsoft.ManagedIdentity
        *COGNITIVE_ROUTES,      #   Microsoft.CognitiveServices
        *AUTHORIZATION_ROUTES,  #   Microsoft.Authorization (scope-relative, so last)
    ]


Authenticator = Callable[[RequestContext], Awaitable[None]]


def _authenticators() -> dict[str, Authenticator]:
    return {AUTH_ARM: arm_security.authenticate, AUTH_OPENAI: openai_security.authenticate,
            AUTH_CONTROL: control_security.authenticate, AUTH_KUBERNETES: kubernetes_security.authenticate,
            AUTH_GRAPH: graph_security.authenticate}

ARM_RATE_HEADERS = {"GET": ("x-ms-ratelimit-remaining-subscription-reads", "11999"),
                    "HEAD": ("x-ms-ratelimit-remaining-subscription-reads", "11999")}
ARM_WRITE_HEADER = ("x-ms-ratelimit-remaining-subscription-writes", "1199")


class EmulatorApp:
    def __init__(self, backend: Backend):
        self.backend = backend
        self.router = Router(all_routes())
        self.authenticators = _authenticators()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        surface = surfaces.surface_of(request.url.path)
        ctx, response = await self.handle(request, request_id, surface)
        response.headers["x-ms-request-id"] = request_id
        if surface == surfaces.ARM:
            response.headers["x-ms-correlation-request-id"] = request.headers.get("x-ms-client-request-id", request_id)
            name, value = ARM_RATE_HEADERS.get(request.method, ARM_WRITE_HEADER)
            response.headers[name] = value
        self._log(request, response, ctx, surface, started)
        await response(scope, receive, send)

    async def handle(self, request: Request, request_id: str, surface: str) -> tuple[RequestContext | None, Response]:
        method, path = request.method, request.url.path
        self.backend.state.settle()
        match = self.router.match(method, path)
        if match is None:
            allowed = self.router.allowed_methods(path)
            if allowed:
                return None, surfaces.method_not_allowed(surface, method, path, allowed)
            return None, surfaces.not_found(surface, method, path)
        ctx = RequestContext(request=request, backend=self.backend, route=match.route, params=match.params,
                             request_id=request_id)
        fault = self.backend.faults.check(method, path)
        if fault is not None and not fault.applied:
            return ctx, surfaces.fault_response(surface, fault)
        response = await self._serve(ctx, match.route, surface, request_id)
        if fault is not None:  # applied first, then the answer is lost or replaced
            return ctx, surfaces.fault_response(surface, fault, handled=response)
        return ctx, response

    async def _serve(self, ctx: RequestContext, route: Route, surface: str, request_id: str) -> Response:
        """Authentication as the route demands, then its handler; errors in the surface's own shape."""
        try:
            if route.auth not in (AUTH_NONE, AUTH_OWN):
                await self.authenticators[route.auth](ctx)
            return await route.endpoint(ctx)
        except EmulatorError as e:
            return e.response()
        except BodyError as e:
            return surfaces.bad_body(surface, str(e))
        except Exception:  # any bug becomes a 500 in the surface's shape, logged
            log.exception("unhandled error in %s %s (request id %s)", ctx.method, ctx.path, request_id)
            return surfaces.internal_error(surface, request_id)

    def _log(self, request: Request, response: Response, ctx: RequestContext | None, surface: str,
             started: float) -> None:
        from .requestlog import clean_query

        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        principal = ctx.principal_label if ctx else "anonymous"
        dropped = isinstance(response, surfaces.DroppedResponse)
        self.backend.log.add(
            time=self.backend.clock.iso(), method=request.method, path=request.url.path,
            query=clean_query(request.url.query), status=response.handled_status if dropped else response.status_code,
            dropped=dropped, surface=surface,
            operation=ctx.route.name if ctx else "", principal=principal,
            principal_id=ctx.principal.object_id if ctx and ctx.principal else None, duration_ms=duration_ms)
        if ctx is not None and ctx.route.auth == AUTH_OPENAI:  # the data plane's own record of who called, and how
            openai_calls.record(ctx, response.handled_status if dropped else response.status_code)
        access_log.info("%s %s %s %s %.1fms", request.method, request.url.path, response.status_code, principal,
                        duration_ms)
