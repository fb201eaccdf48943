"""The URL space of each cluster's API server: `{base}/k8s/{cluster}/...` (first match wins)."""
from __future__ import annotations

from ..routing import AUTH_KUBERNETES, AUTH_OWN, Route
from . import logs, proxy, reviews
from . import responses as r

K = "/k8s/{cluster}"
CORE = K + "/api/{version}"
GROUP = K + "/apis/{group}/{version}"
NS = "/namespaces/{namespace}"


def _k(method: str, path: str, endpoint) -> Route:
    return Route(method, path, endpoint, auth=AUTH_KUBERNETES)


def _resource_routes(root: str) -> list[Route]:
    """CRUD, watch and subresources of every resource under one group-version root."""
    return [
        _k("GET", root + "/watch" + NS + "/{resource}/{name}", r.watch_objects),
        _k("GET", root + "/watch" + NS + "/{resource}", r.watch_objects),
        _k("GET", root + "/watch/{resource}/{name}", r.watch_objects),
        _k("GET", root + "/watch/{resource}", r.watch_objects),
        _k("GET", root + NS + "/{resource}/{name}/{subresource}", r.get_subresource),
        _k("PUT", root + NS + "/{resource}/{name}/{subresource}", r.replace_subresource),
        _k("PATCH", root + NS + "/{resource}/{name}/{subresource}", r.patch_subresource),
        _k("GET", root + NS + "/{resource}/{name}", r.get_object),
        _k("PUT", root + NS + "/{resource}/{name}", r.replace_object),
        _k("PATCH", root + NS + "/{resource}/{name}", r.patch_object),
        _k("DELETE", root + NS + "/{resource}/{name}", r.delete_object),
        _k("GET", root + NS + "/{resource}", r.list_objects),
        _k("POST", root + NS + "/{resource}", r.create_object),
        _k("DELETE", root + NS + "/{resource}", r.delete_collection),
        _k("GET", root + "/{resource}/{name}/{subresource}", r.get_subresource),
        _k("PUT", root + "/{resource}/{name}/{subresource}", r.replace_subresource),
        _k("PATCH", root + "/{resource}/{name}/{subresource}", r.patch_subresource),
        _k("GET", root + "/{resource}/{name}", r.get_object),
        _k("PUT", root + "/{resource}/{name}", r.replace_object),
        _k("PATCH", root + "/{resource}/{name}", r.patch_object),
        _k("DELETE", root + "/{resource}/{name}", r.delete_object),
        _k("GET", root + "/{resource}", r.list_objects),
        _k("POST", root + "/{resource}", r.create_object),
        _k("DELETE", root + "/{resource}", r.delete_collection),
    ]


ROUTES = [
    Route("GET", K + "/version", r.get_version, auth=AUTH_OWN),
    Route("GET", K + "/healthz", r.get_health, auth=AUTH_OWN),
    Route("GET", K + "/livez", r.get_health, auth=AUTH_OWN),
    Route("GET", K + "/readyz", r.get_health, auth=AUTH_OWN),
    # discovery and OpenAPI (no /openapi/v2: kubectl falls back gracefully on 404)
    _k("GET", K + "/api", r.get_core_api),
    _k("GET", K + "/apis", r.get_api_groups),
    _k("GET", K + "/api/{version}", r.get_api_resources),
    _k("GET", K + "/apis/{group}", r.get_api_group),
    _k("GET", K + "/apis/{group}/{version}", r.get_api_resources),
    _k("GET", K + "/openapi/v3", r.get_openapi_root),
    _k("GET", K + "/openapi/v3/{gv:path}", r.get_openapi_document),
    # core special paths: logs, proxies, token requests, namespace status
    _k("GET", CORE + NS + "/pods/{name}/log", logs.read_pod_log),
    _k("*", CORE + NS + "/services/{name}/proxy/{path:path}", proxy.proxy_service),
    _k("*", CORE + NS + "/services/{name}/proxy", proxy.proxy_service),
    _k("*", CORE + NS + "/pods/{name}/proxy/{path:path}", proxy.proxy_pod),
    _k("*", CORE + NS + "/pods/{name}/proxy", proxy.proxy_pod),
    _k("POST", CORE + NS + "/serviceaccounts/{name}/token", r.create_token),
    *[_k(m, CORE + NS + f"/pods/{{name}}/{sub}", r.stream_not_supported)
      for sub in ("exec", "attach", "portforward") for m in ("GET", "POST")],
    _k("GET", CORE + "/namespaces/{name}/status", r.get_namespace_status),
    _k("PUT", CORE + "/namespaces/{name}/status", r.replace_namespace_status),
    _k("PATCH", CORE + "/namespaces/{name}/status", r.patch_namespace_status),
    _k("POST", K + "/apis/authentication.k8s.io/{version}/selfsubjectreviews", reviews.create_self_subject_review),
    _k("POST", K + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", reviews.create_self_subject_access_review),
    _k("POST", K + "/apis/authorization.k8s.io/v1/subjectaccessreviews", reviews.create_subject_access_review),
    *_resource_routes(CORE),
    *_resource_routes(GROUP),
]
