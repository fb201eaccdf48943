"""`/openapi/v3`: the root index and one document per group-version.

Each item path carries its operations; the PATCH operation is tagged
`x-kubernetes-group-version-kind` and the path lists a `fieldValidation` query parameter, which
is what makes kubectl validate server-side (`fieldValidation=Strict`) instead of asking for
/openapi/v2 (not served: 404, as kubectl tolerates). The PATCH request body deliberately does
not offer `application/strategic-merge-patch+json`: kubectl then builds strategic patches from
its compiled-in types (the real merge keys), not from these abridged schemas.
`components.schemas` holds the kinds' schemas (for `kubectl explain`).
"""
from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from . import schemas
from .kinds import GROUP_VERSIONS, KINDS, Kind

_META = "io.k8s.apimachinery.pkg.apis.meta.v1"


def gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _param(name: str, where: str = "query", description: str = "", required: bool = False) -> dict[str, Any]:
    p: dict[str, Any] = {"name": name, "in": where, "description": description or name,
                         "schema": {"type": "string", "uniqueItems": True}}
    if required:
        p["required"] = True
    return p


_WRITE_PARAMS = [_param("dryRun", description="When present, indicates that modifications should not be persisted."),
                 _param("fieldManager", description="fieldManager is a name associated with the actor or entity "
                                                    "that is making these changes."),
                 _param("fieldValidation", description="fieldValidation instructs the server on how to handle objects "
                                                       "in the request containing unknown or duplicate fields. "
                                                       "Valid values are: Ignore, Warn, Strict.")]


def _ref(type_name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{schemas.schema_name(type_name)}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}, "application/yaml": {"schema": schema}}


def _op(kind: Kind, action: str, op_id: str, description: str, response: dict[str, Any],
        params: list[dict[str, Any]] | None = None, body: dict[str, Any] | None = None) -> dict[str, Any]:
    group_tag = f"{kind.group or 'core'}_{kind.version}"
    op: dict[str, Any] = {"tags": [group_tag], "description": description, "operationId": op_id}
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = body
    op["responses"] = {"200": {"description": "OK", "content": _json(response)},
                       "401": {"description": "Unauthorized"}}
    op["x-kubernetes-action"] = action
    op["x-kubernetes-group-version-kind"] = {"group": kind.group, "version": kind.version, "kind": kind.kind}
    return op


def _paths(kind: Kind) -> dict[str, Any]:
    base = "/" + gv_path(kind.group, kind.version)
    ns = "/namespaces/{namespace}" if kind.namespaced else ""
    camel = kind.kind
    scope = "Namespaced" if kind.namespaced else ""
    gpart = (kind.group.capitalize() if kind.group else "Core") + kind.version.capitalize()
    path_params = [_param("namespace", "path", "object name and auth scope", True)] if kind.namespaced else []
    item_params = [_param("name", "path", f"name of the {camel}", True), *path_params,
                   _param("pretty", description="If 'true', then the output is pretty printed.")]
    body = {"content": _json(_ref(camel)), "required": True}
    patch_body = {"content": {t: {"schema": {"$ref": f"#/components/schemas/{_META}.Patch"}}
                              for t in ("application/apply-patch+yaml", "application/json-patch+json",
                                        "application/merge-patch+json")}, "required": True}
    collection = {
        "get": _op(kind, "list", f"list{gpart}{scope}{camel}", f"list or watch objects of kind {camel}",
                   {"$ref": f"#/components/schemas/{schemas.schema_name(camel)}List"}),
        "post": _op(kind, "post", f"create{gpart}{scope}{camel}", f"create a {camel}", _ref(camel),
                    _WRITE_PARAMS, body),
        "parameters": [*path_params, _param("pretty")],
    }
    item = {
        "get": _op(kind, "get", f"read{gpart}{scope}{camel}", f"read the specified {camel}", _ref(camel)),
        "put": _op(kind, "put", f"replace{gpart}{scope}{camel}", f"replace the specified {camel}", _ref(camel),
                   _WRITE_PARAMS, body),
        "delete": _op(kind, "delete", f"delete{gpart}{scope}{camel}", f"delete a {camel}",
                      {"$ref": f"#/components/schemas/{_META}.Status"}),
        "patch": _op(kind, "patch", f"patch{gpart}{scope}{camel}", f"partially update the specified {camel}",
                     _ref(camel), [*_WRITE_PARAMS, _param("force")], patch_body),
        "parameters": [*item_params, *_WRITE_PARAMS],
    }
    if not kind.stored:  # a review: POST only
        return {f"{base}/{kind.resource}": {"post": collection["post"], "parameters": collection["parameters"]}}
    return {f"{base}{ns}/{kind.resource}": collection, f"{base}{ns}/{kind.resource}/{{name}}": item}


@cache
def _document(group: str, version: str) -> str:
    paths: dict[str, Any] = {}
    kinds_here = [k for k in KINDS if k.group == group and k.version == version]
    for k in kinds_here:
        paths.update(_paths(k))
    components = schemas.openapi_schemas({k.kind: (k.group, k.version) for k in KINDS})
    for k in KINDS:
        components[f"{schemas.schema_name(k.kind)}List"] = {
            "type": "object", "required": ["items"],
            "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                           "items": {"type": "array", "items": _ref(k.kind)},
                           "metadata": {"allOf": [{"$ref": f"#/components/schemas/{_META}.ListMeta"}]}},
            "x-kubernetes-group-version-kind": [{"group": k.group, "kind": k.list_kind, "version": k.version}]}
    components[f"{_META}.Patch"] = {"type": "object", "description": "Patch is provided to give a concrete name and "
                                    "type to the Kubernetes PATCH request body."}
    components[f"{_META}.Status"] = {"type": "object", "properties": {
        "apiVersion": {"type": "string"}, "code": {"type": "integer", "format": "int32"},
        "details": {"type": "object"}, "kind": {"type": "string"}, "message": {"type": "string"},
        "metadata": {"type": "object"}, "reason": {"type": "string"}, "status": {"type": "string"}}}
    from .. import clusters

    doc = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v" + clusters.KUBERNETES_VERSION},
           "paths": paths, "components": {"schemas": dict(sorted(components.items()))}}
    return json.dumps(doc, separators=(",", ":"))


def document(group: str, version: str) -> str | None:
    if (group, version) not in GROUP_VERSIONS:
        return None
    return _document(group, version)


def document_hash(group: str, version: str) -> str:
    return hashlib.sha512(_document(group, version).encode()).hexdigest().upper()


def root() -> dict[str, Any]:
    return {"paths": {gv_path(g, v): {"serverRelativeURL": f"/openapi/v3/{gv_path(g, v)}?hash={document_hash(g, v)}"}
                      for g, v in GROUP_VERSIONS}}
