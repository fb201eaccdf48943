"""Request parsing and response rendering for the API server: which store and kind a path
names, body decoding (JSON whatever the Content-Type; YAML for apply patches), field
validation (Strict / Warn / Ignore), protobuf bodies from kubectl's typed clients (protobuf.py), content
negotiation (JSON, Table, PartialObjectMetadata; protobuf offered first is answered with JSON), lists with
limit/continue.
"""
from __future__ import annotations

import base64
import datetime as _dt
import json
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response

from ..context import RequestContext
from . import errors, kinds, protobuf, schemas, tables
from .kinds import Kind
from .store import APPLY_PATCH, ClusterStore

NOT_FOUND_MESSAGE = "the server could not find the requested resource"


@dataclass
class Target:
    store: ClusterStore
    kind: Kind
    namespace: str | None
    name: str | None


def section(ctx: RequestContext):
    return ctx.state.sections["kubernetes"]


def store_of(ctx: RequestContext) -> ClusterStore:
    store = section(ctx).store(ctx.params["cluster"])
    if store is None:
        raise errors.KubeError(404, "NotFound", NOT_FOUND_MESSAGE)
    return store


def target(ctx: RequestContext) -> Target:
    p = ctx.params
    group = p.get("group", "")
    kind = kinds.lookup(group, p.get("version", ""), p.get("resource", ""))
    namespace = p.get("namespace")
    if kind is None or (namespace is not None and not kind.namespaced):
        raise errors.KubeError(404, "NotFound", NOT_FOUND_MESSAGE)
    if not kind.stored:
        raise errors.KubeError(405, "MethodNotAllowed", "the server does not allow this method on the requested "
                               "resource")
    return Target(store_of(ctx), kind, namespace if kind.namespaced else None, p.get("name"))


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


# -- query parameters ---------------------------------------------------------------------
_OPTIONS = {"POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions", "DELETE": "DeleteOptions"}


def _options_invalid(ctx: RequestContext, cause: errors.Cause) -> errors.KubeError:
    """422 on the request's options object, e.g. `CreateOptions.meta.k8s.io "" is invalid: ...`."""
    return errors.invalid(_OPTIONS.get(ctx.method, "CreateOptions"), "", [cause], "meta.k8s.io")


def dry_run(ctx: RequestContext) -> bool:
    values = ctx.request.query_params.getlist("dryRun")
    for v in values:
        if v != "All":
            raise _options_invalid(ctx, errors.not_supported("dryRun", v, ["All"]))
    return bool(values)


def field_validation(ctx: RequestContext) -> str:
    value = ctx.query.get("fieldValidation", "")
    if value not in ("", "Ignore", "Warn", "Strict"):
        raise _options_invalid(ctx, errors.not_supported("fieldValidation", value, ["", "Ignore", "Strict", "Warn"]))
    return value or "Warn"


def field_manager(ctx: RequestContext) -> str:
    """The writer managedFields names: `fieldManager`, else the User-Agent's program name."""
    from .managed import manager_from_user_agent

    return ctx.query.get("fieldManager") or manager_from_user_agent(ctx.request.headers.get("user-agent"))


def int_param(ctx: RequestContext, name: str, default: int | None = None) -> int | None:
    raw = ctx.query.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise errors.bad_request(f'{name}: Invalid value: "{raw}": must be an integer') from None
    if value < 0:
        raise errors.bad_request(f"{name}: Invalid value: {value}: must be greater than or equal to 0")
    return value


def bool_param(ctx: RequestContext, name: str) -> bool:
    return ctx.query.get(name, "").lower() in ("true", "1")


# -- bodies -------------------------------------------------------------------------------
async def body(ctx: RequestContext, *, allow_yaml: bool = False) -> Any:
    raw = await ctx.body()
    content_type = ctx.request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == protobuf.CONTENT_TYPE:
        try:
            return protobuf.decode(raw)
        except (protobuf.ProtobufError, UnicodeDecodeError, KeyError, IndexError) as e:
            raise errors.KubeError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - "
                                   f"accepted media types include: application/json, application/yaml ({e})") from None
    if not raw.strip():
        raise errors.bad_request("Object 'Kind' is missing in ''")
    if allow_yaml or content_type in ("application/yaml", APPLY_PATCH):
        return _yaml_body(raw)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise _unparsable(e) from None


def _yaml_body(raw: bytes) -> Any:
    import yaml  # on first use: an emulator at rest does not hold it

    try:
        return yaml.safe_load(raw)
    except (ValueError, yaml.YAMLError, UnicodeDecodeError) as e:
        raise _unparsable(e) from None


def _unparsable(e: Exception) -> errors.KubeError:
    return errors.bad_request(f"couldn't get version/kind; json parse error: {e}")


def check_fields(kind: Kind, obj: Any, mode: str, type_name: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """Unknown and mistyped fields per `fieldValidation`; returns (object, warnings)."""
    name = type_name or kind.kind
    if not isinstance(obj, dict):
        raise errors.bad_request(f"{name} in version \"{kind.version}\" cannot be handled as a {name}: json: cannot "
                                 f"unmarshal {type(obj).__name__} into Go value of type struct")
    checked, unknown, bad = schemas.check(name, obj, prune=(mode != "Strict"))
    prefix = f'{name} in version "{kind.version}" cannot be handled as a {name}: '
    if bad:
        raise errors.bad_request(prefix + bad[0])
    if unknown and mode == "Strict":
        fields = ", ".join(f'unknown field "{u}"' for u in unknown)
        raise errors.bad_request(prefix + "strict decoding error: " + fields)
    warnings = [f'unknown field "{u}"' for u in unknown] if mode == "Warn" else []
    return checked, warnings


def warning_headers(warnings: list[str]) -> dict[str, str]:
    if not warnings:
        return {}
    return {"Warning": ", ".join('299 - "' + w.replace('"', '\\"') + '"' for w in warnings)}


# -- negotiation --------------------------------------------------------------------------
def _accept_params(ctx: RequestContext) -> list[dict[str, str]]:
    out = []
    for part in ctx.request.headers.get("accept", "").split(","):
        bits = [b.strip() for b in part.split(";")]
        params = {b.split("=", 1)[0]: b.split("=", 1)[1] for b in bits[1:] if "=" in b}
        params["type"] = bits[0]
        out.append(params)
    return out


def wanted_as(ctx: RequestContext) -> str | None:
    """"Table", "PartialObjectMetadata(List)", or None for the plain object (the first match wins)."""
    for p in _accept_params(ctx):
        if p.get("g") == "meta.k8s.io" and p.get("as") in ("Table", "PartialObjectMetadata",
                                                            "PartialObjectMetadataList"):
            return p["as"]
        if p["type"] in ("application/json", "*/*", "application/yaml", "application/*"):
            return None
    return None


def now(ctx: RequestContext) -> _dt.datetime:
    return ctx.backend.clock.now()


def render_object(ctx: RequestContext, kind: Kind, obj: dict[str, Any], status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    as_ = wanted_as(ctx)
    if as_ == "Table":
        return json_response(tables.table(kind, [obj], obj["metadata"].get("resourceVersion", ""), now(ctx),
                                          include_object=ctx.query.get("includeObject", "Metadata")), status, headers)
    if as_ and as_.startswith("PartialObjectMetadata"):
        return json_response({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                              "metadata": obj.get("metadata") or {}}, status, headers)
    return json_response(obj, status, headers)


def _continue_token(rv: str, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"rv": rv, "offset": offset}).encode()).decode().rstrip("=")


def _offset(token: str) -> tuple[str, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return str(data["rv"]), int(data["offset"])
    except (ValueError, KeyError, TypeError):
        raise errors.bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                                 "(version meta.k8s.io/v1)") from None


def render_list(ctx: RequestContext, kind: Kind, items: list[dict[str, Any]], rv: str) -> Response:
    limit = int_param(ctx, "limit", 0) or 0
    offset = 0
    if ctx.query.get("continue"):
        rv, offset = _offset(ctx.query["continue"])
    page = items[offset:offset + limit] if limit else items[offset:]
    cont = _continue_token(rv, offset + limit) if limit and offset + limit < len(items) else ""
    as_ = wanted_as(ctx)
    if as_ == "Table":
        return json_response(tables.table(kind, page, rv, now(ctx), include_object=ctx.query.get("includeObject",
                                                                                                "Metadata"),
                                          cont=cont))
    meta: dict[str, Any] = {"resourceVersion": rv}
    if cont:
        meta["continue"] = cont
        meta["remainingItemCount"] = len(items) - offset - limit
    if as_ and as_.startswith("PartialObjectMetadata"):
        return json_response({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
                              "items": [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                         "metadata": i.get("metadata") or {}} for i in page]})
    for i in page:
        i.pop("apiVersion", None)
        i.pop("kind", None)
    return json_response({"kind": kind.list_kind, "apiVersion": kind.api_version, "metadata": meta, "items": page})


def watch_transform(ctx: RequestContext, kind: Kind):
    as_ = wanted_as(ctx)
    include = ctx.query.get("includeObject", "Metadata")

    def transform(obj: dict[str, Any], first: bool) -> dict[str, Any]:
        """One event's object; a Table row carries the column headers only on the first event."""
        if as_ == "Table":
            return tables.table(kind, [obj], obj["metadata"].get("resourceVersion", ""), now(ctx),
                                include_object=include, headers=first)
        if as_ and as_.startswith("PartialObjectMetadata"):
            return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata")}
        return obj

    return transform


def success_status(kind: Kind, obj: dict[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {"name": obj["metadata"]["name"]}
    if kind.group:
        details["group"] = kind.group
    details["kind"] = kind.resource
    details["uid"] = obj["metadata"].get("uid")
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
