"""Thin handlers, one per API operation: parse the request (wire.py), call the store, render."""
from __future__ import annotations

from typing import Any

from starlette.responses import Response, StreamingResponse

from ..context import RequestContext
from . import discovery, errors, kinds, openapi, wire
from . import watch as watching
from .selectors import parse_fields, parse_labels, selector_string
from .store import APPLY_PATCH, PATCH_TYPES


# -- discovery ----------------------------------------------------------------------------
async def get_version(ctx: RequestContext) -> Response:
    from .security import authenticate_optional

    await authenticate_optional(ctx)
    return wire.json_response(discovery.version())


async def get_health(ctx: RequestContext) -> Response:
    from starlette.responses import PlainTextResponse

    from .security import authenticate_optional

    await authenticate_optional(ctx)
    return PlainTextResponse("ok")


async def get_core_api(ctx: RequestContext) -> Response:
    if discovery.wants_aggregated(ctx.request.headers.get("accept", "")):
        return wire.json_response(discovery.aggregated(legacy=True), headers={"Content-Type": discovery.AGGREGATED_TYPE,
                                                                              "Vary": "Accept"})
    host = ctx.base_url.split("://", 1)[1]
    return wire.json_response(discovery.api_versions(host), headers={"Vary": "Accept"})


async def get_api_groups(ctx: RequestContext) -> Response:
    if discovery.wants_aggregated(ctx.request.headers.get("accept", "")):
        return wire.json_response(discovery.aggregated(legacy=False),
                                  headers={"Content-Type": discovery.AGGREGATED_TYPE,
                                                                               "Vary": "Accept"})
    return wire.json_response(discovery.api_group_list(), headers={"Vary": "Accept"})


async def get_api_group(ctx: RequestContext) -> Response:
    group = discovery.api_group(ctx.params["group"])
    if group is None:
        raise errors.KubeError(404, "NotFound", wire.NOT_FOUND_MESSAGE)
    return wire.json_response(group)


async def get_api_resources(ctx: RequestContext) -> Response:
    group, version = ctx.params.get("group", ""), ctx.params["version"]
    if (group, version) not in discovery.GROUP_VERSIONS:
        raise errors.KubeError(404, "NotFound", wire.NOT_FOUND_MESSAGE)
    return wire.json_response(discovery.resource_list(group, version))


async def get_openapi_root(ctx: RequestContext) -> Response:
    return wire.json_response(openapi.root())


async def get_openapi_document(ctx: RequestContext) -> Response:
    parts = ctx.params["gv"].strip("/").split("/")
    group, version = (parts[1], parts[2]) if parts[0] == "apis" and len(parts) == 3 else \
        (("", parts[1]) if parts[0] == "api" and len(parts) == 2 else ("?", "?"))
    doc = openapi.document(group, version)
    if doc is None:
        raise errors.KubeError(404, "NotFound", wire.NOT_FOUND_MESSAGE)
    etag = '"' + openapi.document_hash(group, version) + '"'
    return Response(doc, media_type="application/json", headers={"Cache-Control": "public, immutable", "Etag": etag})


# -- collections --------------------------------------------------------------------------
def _predicate(ctx: RequestContext, resource: str, name: str | None = None):
    labels = parse_labels(ctx.query.get("labelSelector"))
    fields = parse_fields(resource, ctx.query.get("fieldSelector"))
    if name is None:
        return lambda o: labels(o) and fields(o)
    return lambda o: labels(o) and fields(o) and o["metadata"]["name"] == name


def _watch_response(ctx: RequestContext, t: wire.Target, name: str | None = None) -> Response:
    section = wire.section(ctx)
    timeout = wire.int_param(ctx, "timeoutSeconds")
    rv = watching.parse_resource_version(ctx.query.get("resourceVersion"))
    gen = watching.stream(t.store, t.kind, namespace=t.namespace, predicate=_predicate(ctx, t.kind.resource, name),
                          resource_version=rv, timeout=float(timeout if timeout is not None
                                                             else section.watch_timeout_seconds),
                          bookmarks=wire.bool_param(ctx, "allowWatchBookmarks"),
                          bookmark_interval=section.bookmark_interval, transform=wire.watch_transform(ctx, t.kind),
                          send_initial_events=wire.bool_param(ctx, "sendInitialEvents"))
    return StreamingResponse(gen, media_type="application/json", headers={"Cache-Control": "no-cache, private"})


async def list_objects(ctx: RequestContext) -> Response:
    t = wire.target(ctx)
    if "list" not in t.kind.verbs:
        raise errors.method_not_supported(t.kind.resource, "list", t.kind.group)
    if wire.bool_param(ctx, "watch"):
        return _watch_response(ctx, t)
    items, rv = t.store.list(t.kind.resource, t.namespace, _predicate(ctx, t.kind.resource))
    return wire.render_list(ctx, t.kind, items, rv)


async def watch_objects(ctx: RequestContext) -> Response:
    t = wire.target(ctx)
    return _watch_response(ctx, t, t.name)


async def create_object(ctx: RequestContext) -> Response:
    t = wire.target(ctx)
    obj, warnings = wire.check_fields(t.kind, await wire.body(ctx), wire.field_validation(ctx))
    created = t.store.create(t.kind.resource, obj, t.namespace, dry_run=wire.dry_run(ctx),
                             manager=wire.field_manager(ctx))
    return wire.render_object(ctx, t.kind, created, 201, wire.warning_headers(warnings))


async def delete_collection(ctx: RequestContext) -> Response:
    t = wire.target(ctx)
    if "deletecollection" not in t.kind.verbs:
        raise errors.method_not_supported(t.kind.resource, "deletecollection", t.kind.group)
    items, _ = t.store.list(t.kind.resource, t.namespace, _predicate(ctx, t.kind.resource))
    options = await _delete_options(ctx)
    deleted = []
    for obj in items:
        try:
            deleted.append(t.store.delete(t.kind.resource, t.namespace, obj["metadata"]["name"],
                                          propagation=options.get("propagationPolicy"), dry_run=wire.dry_run(ctx)))
        except errors.KubeError as e:
            if e.status != 404:
                raise
    return wire.render_list(ctx, t.kind, deleted, str(t.store.resource_version))


# -- single objects -----------------------------------------------------------------------
async def get_object(ctx: RequestContext) -> Response:
    t = wire.target(ctx)
    return wire.render_object(ctx, t.kind, t.store.get(t.kind.resource, t.namespace, t.name or ""))


async def replace_object(ctx: RequestContext) -> Response:
    t = wire.target(ctx)
    obj, warnings = wire.check_fields(t.kind, await wire.body(ctx), wire.field_validation(ctx))
    updated = t.store.replace(t.kind.resource, obj, t.namespace, t.name or "", dry_run=wire.dry_run(ctx),
                              manager=wire.field_manager(ctx))
    return wire.render_object(ctx, t.kind, updated, 200, wire.warning_headers(warnings))


def _patch_type(ctx: RequestContext) -> str:
    content_type = ctx.request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in PATCH_TYPES:
        raise errors.unsupported_media_type(content_type)
    return content_type


async def patch_object(ctx: RequestContext) -> Response:
    t = wire.target(ctx)
    patch_type = _patch_type(ctx)
    body = await wire.body(ctx, allow_yaml=patch_type == APPLY_PATCH)
    mode = wire.field_validation(ctx)
    warnings: list[str] = []

    def prepare(obj: dict[str, Any]) -> dict[str, Any]:
        checked, found = wire.check_fields(t.kind, obj, mode)
        warnings.extend(found)
        return checked

    obj, created = t.store.patch(t.kind.resource, t.namespace, t.name or "", patch_type, body,
                                 dry_run=wire.dry_run(ctx), field_manager=ctx.query.get("fieldManager"),
                                 manager=wire.field_manager(ctx), prepare=prepare)
    return wire.render_object(ctx, t.kind, obj, 201 if created else 200, wire.warning_headers(warnings))


async def _delete_options(ctx: RequestContext) -> dict[str, Any]:
    raw = await ctx.body()
    options: dict[str, Any] = {}
    if raw.strip():
        body = await wire.body(ctx)
        if isinstance(body, dict):
            options = body
    if ctx.query.get("propagationPolicy"):
        options["propagationPolicy"] = ctx.query["propagationPolicy"]
    if ctx.query.get("orphanDependents") == "true" and "propagationPolicy" not in options:
        options["propagationPolicy"] = "Orphan"
    if options.get("orphanDependents") is True and "propagationPolicy" not in options:
        options["propagationPolicy"] = "Orphan"
    return options


async def delete_object(ctx: RequestContext) -> Response:
    t = wire.target(ctx)
    options = await _delete_options(ctx)
    pre = options.get("preconditions") or {}
    deleted = t.store.delete(t.kind.resource, t.namespace, t.name or "",
                             propagation=options.get("propagationPolicy"), dry_run=wire.dry_run(ctx),
                             uid=pre.get("uid"), resource_version=pre.get("resourceVersion"))
    if t.kind.resource in ("pods", "services", "namespaces", "nodes") or deleted["metadata"].get("deletionTimestamp"):
        return wire.render_object(ctx, t.kind, deleted)
    return wire.json_response(wire.success_status(t.kind, deleted))


# -- subresources: status and scale -------------------------------------------------------
def _subresource(ctx: RequestContext, t: wire.Target) -> str:
    sub = ctx.params["subresource"]
    group, version = ctx.params.get("group", ""), ctx.params.get("version", "")
    if t.kind.resource == "namespaces" and kinds.lookup(group, version, sub):
        # a collection under a namespace with a verb collections do not take (PUT/PATCH)
        raise errors.KubeError(405, "MethodNotAllowed", "the server does not allow this method on the requested "
                               "resource")
    if t.kind.subresource(sub) is None or sub not in ("status", "scale"):
        raise errors.KubeError(404, "NotFound", wire.NOT_FOUND_MESSAGE)
    return sub


def _scale_of(t: wire.Target, obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    selector = (obj.get("spec") or {}).get("selector")
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in meta},
            "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
            "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                       "selector": selector_string(selector)}}


async def get_subresource(ctx: RequestContext) -> Response:
    t = wire.target(ctx)
    sub = _subresource(ctx, t)
    obj = t.store.get(t.kind.resource, t.namespace, t.name or "")
    return wire.json_response(_scale_of(t, obj) if sub == "scale" else obj)


def _apply_scale(t: wire.Target, scale: dict[str, Any], dry_run: bool, manager: str) -> dict[str, Any]:
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise errors.invalid("Scale", t.name or "", [errors.invalid_value("spec.replicas", replicas,
                                                                          "must be greater than or equal to 0")],
                             "autoscaling")
    current = t.store.get(t.kind.resource, t.namespace, t.name or "")
    rv = (scale.get("metadata") or {}).get("resourceVersion")
    if rv and rv != current["metadata"]["resourceVersion"]:
        raise errors.conflict(t.kind.resource, t.name or "", t.kind.group)
    current["spec"]["replicas"] = replicas
    return _scale_of(t, t.store.replace(t.kind.resource, current, t.namespace, t.name or "", dry_run=dry_run,
                                        manager=manager, subresource="scale"))


async def replace_subresource(ctx: RequestContext) -> Response:
    t = wire.target(ctx)
    sub = _subresource(ctx, t)
    body = await wire.body(ctx)
    if not isinstance(body, dict):
        raise errors.bad_request("the request body must be a JSON object")
    if sub == "scale":
        return wire.json_response(_apply_scale(t, body, wire.dry_run(ctx), wire.field_manager(ctx)))
    return wire.json_response(t.store.replace(t.kind.resource, body, t.namespace, t.name or "", subresource="status",
                                              dry_run=wire.dry_run(ctx), manager=wire.field_manager(ctx)))


async def patch_subresource(ctx: RequestContext) -> Response:
    t = wire.target(ctx)
    sub = _subresource(ctx, t)
    patch_type = _patch_type(ctx)
    body = await wire.body(ctx, allow_yaml=patch_type == APPLY_PATCH)
    if sub == "scale":
        from . import patch as patching

        scale = _scale_of(t, t.store.get(t.kind.resource, t.namespace, t.name or ""))
        try:
            if patch_type == "application/json-patch+json":
                patched = patching.json_patch(scale, body)
            elif patch_type == "application/merge-patch+json":
                patched = patching.merge_patch(scale, body)
            else:
                patched = patching.strategic_merge(scale, body)
        except patching.PatchError as e:
            raise errors.KubeError(422, "Invalid", f"the server rejected our request due to an error in our request: "
                                   f"{e}") from None
        return wire.json_response(_apply_scale(t, patched, wire.dry_run(ctx), wire.field_manager(ctx)))
    obj, _ = t.store.patch(t.kind.resource, t.namespace, t.name or "", patch_type, body, subresource="status",
                           dry_run=wire.dry_run(ctx), field_manager=ctx.query.get("fieldManager"),
                           manager=wire.field_manager(ctx))
    return wire.json_response(obj)


# -- namespaces/{name}/status (cluster-scoped subresource spelled like a namespaced path) ----
def _namespace_status_params(ctx: RequestContext) -> None:
    ctx.params.update({"resource": "namespaces", "subresource": "status", "group": ""})
    ctx.params.pop("namespace", None)


async def get_namespace_status(ctx: RequestContext) -> Response:
    _namespace_status_params(ctx)
    return await get_subresource(ctx)


async def replace_namespace_status(ctx: RequestContext) -> Response:
    _namespace_status_params(ctx)
    return await replace_subresource(ctx)


async def patch_namespace_status(ctx: RequestContext) -> Response:
    _namespace_status_params(ctx)
    return await patch_subresource(ctx)


# -- service account tokens (TokenRequest) ------------------------------------------------
async def create_token(ctx: RequestContext) -> Response:
    from . import tokens

    ctx.params["resource"] = "serviceaccounts"
    t = wire.target(ctx)
    sa = t.store.get("serviceaccounts", t.namespace, t.name or "")
    body = await wire.body(ctx)
    spec = (body or {}).get("spec") or {}
    doc = t.store.cluster.doc
    if doc is None:
        raise errors.KubeError(404, "NotFound", wire.NOT_FOUND_MESSAGE)
    audiences = spec.get("audiences") or [tokens.issuer_of(ctx.backend, doc)]
    expiration = spec.get("expirationSeconds") or 3600
    if not isinstance(expiration, int) or expiration < tokens.MIN_EXPIRATION:
        raise errors.invalid("TokenRequest", t.name or "", [errors.invalid_value(
            "spec.expirationSeconds", expiration, "may not specify a duration less than 10 minutes")],
            "authentication.k8s.io")
    pod = None
    ref = spec.get("boundObjectRef") or {}
    if ref.get("kind") == "Pod":
        pod = t.store.get("pods", t.namespace, ref.get("name", ""))
    minted = tokens.mint(ctx.backend, doc, namespace=t.namespace or "", service_account=sa, audiences=audiences,
                         expiration_seconds=expiration, pod=pod)
    import datetime as _dt

    expires = _dt.datetime.fromtimestamp(minted.expires_at, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
           "metadata": {"name": t.name, "namespace": t.namespace, "creationTimestamp": None},
           "spec": {"audiences": audiences, "expirationSeconds": expiration,
                    "boundObjectRef": spec.get("boundObjectRef")},
           "status": {"token": minted.token, "expirationTimestamp": expires}}
    return wire.json_response(out, 201)


async def stream_not_supported(ctx: RequestContext) -> Response:
    """pods/exec, pods/attach, pods/portforward: streaming protocols this API server does not run."""
    raise errors.KubeError(405, "MethodNotAllowed",
                           f"{ctx.path.rstrip('/').rsplit('/', 1)[1]} is not supported by the emulated "
                           "API server: its containers are local processes; use kubectl logs, or the service proxy "
                           f"/api/v1/namespaces/{ctx.params['namespace']}/services/<name>/proxy/")
