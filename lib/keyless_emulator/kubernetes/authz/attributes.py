"""What a request asks to do, read from its path and method as kube-apiserver's RequestInfoFactory
reads it: a resource request (verb, API group, resource, subresource, namespace, name) or a
non-resource request (verb and path, e.g. discovery). Authorizers decide on these attributes alone,
and a SelfSubjectAccessReview's spec is turned into the same attributes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
_NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True)
class Attributes:
    verb: str
    resource_request: bool
    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""

    @property
    def resource_and_subresource(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource


def from_request(method: str, path: str, query: dict[str, str]) -> Attributes:
    """`path` is the API server path (after `/k8s/{cluster}`), e.g. `/api/v1/namespaces/default/pods`."""
    verb = _VERBS.get(method.upper(), method.lower())
    parts = [p for p in path.strip("/").split("/") if p]
    if not parts or parts[0] not in ("api", "apis") or len(parts) < (2 if parts[0] == "api" else 3):
        return Attributes(verb=verb, resource_request=False, path=path or "/")
    group, rest = ("", parts[2:]) if parts[0] == "api" else (parts[1], parts[3:])
    if not rest:
        return Attributes(verb=verb, resource_request=False, path=path)
    watch_path = rest[0] == "watch"
    if watch_path:
        rest = rest[1:]
    namespace = ""
    if rest and rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0] if rest else ""
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if watch_path:
        verb = "watch"
    elif verb == "get" and not name:
        verb = "watch" if query.get("watch", "").lower() in ("1", "true") else "list"
    elif verb == "delete" and not name:
        verb = "deletecollection"
    return Attributes(verb=verb, resource_request=True, api_group=group, resource=resource, subresource=subresource,
                      namespace=namespace, name=name, path=path)


def from_review(spec: dict[str, Any]) -> Attributes:
    """The attributes a (Self)SubjectAccessReview asks about (`resourceAttributes` or `nonResourceAttributes`)."""
    res = spec.get("resourceAttributes")
    if isinstance(res, dict):
        return Attributes(verb=str(res.get("verb", "")), resource_request=True, api_group=str(res.get("group", "")),
                          resource=str(res.get("resource", "")), subresource=str(res.get("subresource", "")),
                          namespace=str(res.get("namespace", "")), name=str(res.get("name", "")))
    non = spec.get("nonResourceAttributes") or {}
    return Attributes(verb=str(non.get("verb", "")), resource_request=False, path=str(non.get("path", "")))


def forbidden_message(user: str, a: Attributes, reason: str = "") -> str:
    """kube-apiserver's 403 text (responsewriters.Forbidden + apierrors.NewForbidden): the group-qualified
    resource and name, "is forbidden:", who cannot do what where, then the authorizers' reason if any."""
    if not a.resource_request:
        what = f'User "{user}" cannot {a.verb} path "{a.path}"'
    else:
        where = f'in the namespace "{a.namespace}"' if a.namespace else "at the cluster scope"
        what = (f'User "{user}" cannot {a.verb} resource "{a.resource_and_subresource}" in API group '
                f'"{a.api_group}" {where}')
    if reason:
        what = f"{what}: {reason}"
    if not a.resource_request or not a.resource:
        return f"forbidden: {what}"
    qualified = f"{a.resource}.{a.api_group}" if a.api_group else a.resource
    return f'{qualified} "{a.name}" is forbidden: {what}' if a.name else f"{qualified} is forbidden: {what}"
