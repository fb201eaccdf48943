"""Kubernetes RBAC, as kube-apiserver's RBAC authorizer decides: a request is allowed when a
ClusterRoleBinding, or a RoleBinding in the request's namespace, names the user (User), one of its
groups (Group) or its service account (ServiceAccount), and the role it refers to (a ClusterRole, or a
Role of that namespace) has a rule matching the verb, API group, resource (`pods/log` for a
subresource, `*/scale` style wildcards), resource name, or a non-resource URL (a trailing `*` is a
prefix). RBAC never denies: without a matching rule it has no opinion and gives no reason.
"""
from __future__ import annotations

from typing import Any, Protocol

from .attributes import Attributes
from .user import UserInfo


class ObjectReader(Protocol):
    def list(self, resource: str, namespace: str | None = None, predicate: Any = None) -> tuple[list[Any], str]: ...

    def find(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None: ...


def _has(values: list[str] | None, wanted: str) -> bool:
    return bool(values) and ("*" in values or wanted in values)  # type: ignore[operator]


def _resource_matches(rule: dict[str, Any], a: Attributes) -> bool:
    combined = a.resource_and_subresource
    for r in rule.get("resources") or []:
        if r in ("*", combined):
            return True
        if a.subresource and r == f"*/{a.subresource}":
            return True
    return False


def _url_matches(rule: dict[str, Any], path: str) -> bool:
    for url in rule.get("nonResourceURLs") or []:
        if url == "*" or url == path or (url.endswith("*") and path.startswith(url[:-1])):
            return True
    return False


def rule_allows(rule: dict[str, Any], a: Attributes) -> bool:
    if not _has(rule.get("verbs"), a.verb):
        return False
    if not a.resource_request:
        return _url_matches(rule, a.path)
    names = rule.get("resourceNames") or []
    return (_has(rule.get("apiGroups"), a.api_group) and _resource_matches(rule, a)
            and (not names or a.name in names))


def _subject_matches(subject: dict[str, Any], user: UserInfo, binding_namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name", "")
    if kind == "User":
        return bool(name) and name == user.username
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return user.username == f"system:serviceaccount:{namespace}:{name}"
    return False


def _role_rules(store: ObjectReader, ref: dict[str, Any], namespace: str) -> list[dict[str, Any]]:
    kind = ref.get("kind")
    role = (store.find("clusterroles", None, ref.get("name", "")) if kind == "ClusterRole"
            else store.find("roles", namespace, ref.get("name", "")) if kind == "Role" and namespace else None)
    return list((role or {}).get("rules") or [])


def allows(store: ObjectReader, user: UserInfo, a: Attributes) -> bool:
    for binding in store.list("clusterrolebindings")[0]:
        if any(_subject_matches(s, user, "") for s in binding.get("subjects") or []):
            if any(rule_allows(r, a) for r in _role_rules(store, binding.get("roleRef") or {}, "")):
                return True
    if a.namespace:
        for binding in store.list("rolebindings", a.namespace)[0]:
            if any(_subject_matches(s, user, a.namespace) for s in binding.get("subjects") or []):
                if any(rule_allows(r, a) for r in _role_rules(store, binding.get("roleRef") or {}, a.namespace)):
                    return True
    return False
