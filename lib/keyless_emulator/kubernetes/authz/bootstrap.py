"""The RBAC objects a new cluster starts with: kube-apiserver's bootstrap policy (the part a caller of
this API server meets) and the roles AKS adds for its system components. Created with the namespaces
when a cluster's store is bootstrapped, so `kubectl get clusterroles` lists them as on AKS.

Rules are kube-apiserver's (plugin/pkg/auth/authorizer/rbac/bootstrappolicy) for the roles kept here;
the AKS component roles keep their real names with the rules those components need in this emulator.
"""
from __future__ import annotations

from typing import Any

BOOTSTRAP_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
AUTOUPDATE = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
_READ = ["get", "list", "watch"]
_WRITE = ["create", "delete", "deletecollection", "patch", "update"]


def _rule(groups: list[str], resources: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs}


def _cluster_role(name: str, rules: list[dict[str, Any]], *, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": dict(labels if labels is not None else BOOTSTRAP_LABELS),
                         "annotations": dict(AUTOUPDATE)}, "rules": rules}


def _binding(name: str, role: str, subjects: list[dict[str, str]], *,
             labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": dict(labels if labels is not None else BOOTSTRAP_LABELS),
                         "annotations": dict(AUTOUPDATE)},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": subjects}


def _group(name: str) -> dict[str, str]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name}


def _service_account(namespace: str, name: str) -> dict[str, str]:
    return {"kind": "ServiceAccount", "name": name, "namespace": namespace}


_CORE_READ = ["configmaps", "endpoints", "persistentvolumeclaims", "pods", "replicationcontrollers", "services",
              "serviceaccounts", "events", "limitranges", "namespaces", "resourcequotas", "pods/log", "pods/status"]
_EDIT_CORE = ["configmaps", "endpoints", "persistentvolumeclaims", "pods", "replicationcontrollers", "secrets",
              "serviceaccounts", "services", "services/proxy", "pods/proxy", "pods/exec", "pods/attach",
              "pods/portforward"]

CLUSTER_ROLES: tuple[dict[str, Any], ...] = (
    _cluster_role("cluster-admin", [_rule(["*"], ["*"], ["*"]), {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
    _cluster_role("admin", [
        _rule([""], _EDIT_CORE, _READ + _WRITE), _rule(["apps"], ["deployments", "replicasets", "deployments/scale",
                                                                  "replicasets/scale", "statefulsets", "daemonsets"],
                                                         _READ + _WRITE),
        _rule(["rbac.authorization.k8s.io"], ["roles", "rolebindings"], _READ + _WRITE),
        _rule(["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
        _rule(["discovery.k8s.io"], ["endpointslices"], _READ)], labels={**BOOTSTRAP_LABELS}),
    _cluster_role("edit", [
        _rule([""], _EDIT_CORE, _READ + _WRITE), _rule([""], ["serviceaccounts/token"], ["create"]),
        _rule(["apps"], ["deployments", "replicasets", "deployments/scale", "replicasets/scale", "statefulsets",
                         "daemonsets"], _READ + _WRITE),
        _rule(["discovery.k8s.io"], ["endpointslices"], _READ)]),
    _cluster_role("view", [
        _rule([""], _CORE_READ, _READ),
        _rule(["apps"], ["deployments", "replicasets", "deployments/scale", "replicasets/scale", "statefulsets",
                         "daemonsets"], _READ),
        _rule(["discovery.k8s.io"], ["endpointslices"], _READ)]),
    _cluster_role("system:discovery", [{"nonResourceURLs": [
        "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version",
        "/version/"], "verbs": ["get"]}]),
    _cluster_role("system:basic-user", [
        _rule(["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ["create"]),
        _rule(["authentication.k8s.io"], ["selfsubjectreviews"], ["create"])]),
    _cluster_role("system:public-info-viewer", [{"nonResourceURLs": [
        "/healthz", "/livez", "/readyz", "/version", "/version/"], "verbs": ["get"]}]),
    # AKS's system components (kube-system): CoreDNS reads what it serves names for
    _cluster_role("system:coredns", [_rule([""], ["endpoints", "services", "pods", "namespaces"], ["list", "watch"]),
                                     _rule(["discovery.k8s.io"], ["endpointslices"], ["list", "watch"])],
                  labels={"addonmanager.kubernetes.io/mode": "Reconcile", "kubernetes.io/bootstrapping":
                          "rbac-defaults"}),
)

CLUSTER_ROLE_BINDINGS: tuple[dict[str, Any], ...] = (
    _binding("cluster-admin", "cluster-admin", [_group("system:masters")]),
    _binding("system:discovery", "system:discovery", [_group("system:authenticated")]),
    _binding("system:basic-user", "system:basic-user", [_group("system:authenticated")]),
    _binding("system:public-info-viewer", "system:public-info-viewer",
             [_group("system:authenticated"), _group("system:unauthenticated")]),
    _binding("system:coredns", "system:coredns", [_service_account("kube-system", "coredns")],
             labels={"addonmanager.kubernetes.io/mode": "Reconcile", "kubernetes.io/bootstrapping":
                     "rbac-defaults"}),
)


def objects() -> list[tuple[str, dict[str, Any]]]:
    """(resource, object) pairs to create in a new cluster, in order."""
    return ([("clusterroles", r) for r in CLUSTER_ROLES]
            + [("clusterrolebindings", b) for b in CLUSTER_ROLE_BINDINGS])
