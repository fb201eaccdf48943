"""The resources this API server serves: group, version, names, scope, verbs, subresources.

One `Kind` per resource; discovery, OpenAPI, routing, validation and Table output all read
this table, so adding a resource means adding one entry here (plus its schema and columns).
"""
from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Subresource:
    name: str
    kind: str
    verbs: tuple[str, ...]
    group: str = ""
    version: str = "v1"


@dataclass(frozen=True)
class Kind:
    group: str
    version: str
    resource: str
    kind: str
    singular: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[Subresource, ...] = field(default_factory=tuple)
    has_status: bool = False  # spec/status split: status ignored on create/update of the main resource
    stored: bool = True  # False: a review answered on the spot (reviews.py), never kept

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def group_version(self) -> tuple[str, str]:
        return self.group, self.version

    def subresource(self, name: str) -> Subresource | None:
        return next((s for s in self.subresources if s.name == name), None)


_STATUS = ("get", "patch", "update")

KINDS: tuple[Kind, ...] = (
    Kind("", "v1", "configmaps", "ConfigMap", "configmap", short_names=("cm",)),
    Kind("", "v1", "endpoints", "Endpoints", "endpoints", short_names=("ep",)),
    Kind("", "v1", "events", "Event", "event", short_names=("ev",)),
    Kind("", "v1", "namespaces", "Namespace", "namespace", namespaced=False, short_names=("ns",),
         verbs=("create", "delete", "get", "list", "patch", "update", "watch"), has_status=True,
         subresources=(Subresource("status", "Namespace", _STATUS),)),
    Kind("", "v1", "nodes", "Node", "node", namespaced=False, short_names=("no",), has_status=True,
         subresources=(Subresource("proxy", "NodeProxyOptions", ("create", "delete", "get", "patch", "update")),
                       Subresource("status", "Node", _STATUS))),
    Kind("", "v1", "pods", "Pod", "pod", short_names=("po",), categories=("all",), has_status=True,
         subresources=(Subresource("log", "Pod", ("get",)),
                       Subresource("proxy", "PodProxyOptions", ("create", "delete", "get", "patch", "update")),
                       Subresource("status", "Pod", _STATUS))),
    Kind("", "v1", "secrets", "Secret", "secret"),
    Kind("", "v1", "serviceaccounts", "ServiceAccount", "serviceaccount", short_names=("sa",),
         subresources=(Subresource("token", "TokenRequest", ("create",), group="authentication.k8s.io"),)),
    Kind("", "v1", "services", "Service", "service", short_names=("svc",), categories=("all",), has_status=True,
         verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
         subresources=(Subresource("proxy", "ServiceProxyOptions", ("create", "delete", "get", "patch", "update")),
                       Subresource("status", "Service", _STATUS))),
    Kind("apps", "v1", "deployments", "Deployment", "deployment", short_names=("deploy",), categories=("all",),
         has_status=True,
         subresources=(Subresource("scale", "Scale", _STATUS, group="autoscaling"),
                       Subresource("status", "Deployment", _STATUS))),
    Kind("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", "selfsubjectreview",
         namespaced=False, verbs=("create",), stored=False),
    Kind("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview",
         "selfsubjectaccessreview", namespaced=False, verbs=("create",), stored=False),
    Kind("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", "subjectaccessreview",
         namespaced=False, verbs=("create",), stored=False),
    Kind("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", "endpointslice"),
    Kind("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", "clusterrolebinding",
         namespaced=False),
    Kind("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", "clusterrole", namespaced=False),
    Kind("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", "rolebinding"),
    Kind("rbac.authorization.k8s.io", "v1", "roles", "Role", "role"),
    Kind("apps", "v1", "replicasets", "ReplicaSet", "replicaset", short_names=("rs",), categories=("all",),
         has_status=True,
         subresources=(Subresource("scale", "Scale", _STATUS, group="autoscaling"),
                       Subresource("status", "ReplicaSet", _STATUS))),
)

GROUP_VERSIONS: tuple[tuple[str, str], ...] = (("", "v1"), ("apps", "v1"), ("authentication.k8s.io", "v1"),
                                                ("authorization.k8s.io", "v1"), ("discovery.k8s.io", "v1"),
                                                ("rbac.authorization.k8s.io", "v1"))
_BY_RESOURCE = {(k.group, k.version, k.resource): k for k in KINDS}
_BY_KIND = {(k.group, k.kind): k for k in KINDS}


def lookup(group: str, version: str, resource: str) -> Kind | None:
    return _BY_RESOURCE.get((group.lower(), version.lower(), resource.lower()))


def by_resource(resource: str) -> Kind:
    """The kind of a resource name served by this server (resource names are unique here)."""
    for k in KINDS:
        if k.resource == resource:
            return k
    raise KeyError(resource)


def by_kind(group: str, kind: str) -> Kind | None:
    return _BY_KIND.get((group, kind))


def by_api_version(api_version: str, kind: str) -> Kind | None:
    group = api_version.split("/", 1)[0] if "/" in api_version else ""
    return by_kind(group, kind)
