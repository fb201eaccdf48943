"""May the caller do, in the namespace, what the runbook will do there? Asked of the cluster's API
server with SelfSubjectAccessReviews, so on a cluster with Microsoft Entra integration the answer comes
before anything is changed (00 asks it), and a refusal names the role to ask for and its scope.

On such a cluster the caller is the Entra identity the runbook signed in with: with Azure RBAC for
Kubernetes authorization, its Azure role assignments on the cluster or the namespace decide
(`Azure Kubernetes Service RBAC Writer` on `<cluster id>/namespaces/<namespace>` covers everything the
runbook does: ServiceAccounts, Deployments, and reading pods, logs and services); with Kubernetes RBAC,
a RoleBinding in the namespace (the `edit` ClusterRole covers the same). A cluster with local accounts
hands out a cluster-admin credential, so nothing is asked there.
"""
from __future__ import annotations

from typing import Any

from ..errors import KeylessError
from ..kube import connect
from ..params import Parameters
from ..results import Check

WRITER_ROLE = "Azure Kubernetes Service RBAC Writer"
# (verb, resource, API group, what the runbook does with it)
NEEDED = (("create", "serviceaccounts", "", "create the ServiceAccount"),
          ("patch", "serviceaccounts", "", "annotate an existing ServiceAccount"),
          ("get", "deployments", "apps", "read the Deployment"),
          ("patch", "deployments", "apps", "redeploy the Deployment"),
          ("list", "pods", "", "watch the new pods"),
          ("get", "services", "", "find the store admin site"))


def entra_integrated(cluster: Any) -> bool:
    profile = getattr(cluster, "aad_profile", None)
    return bool(profile is not None and getattr(profile, "managed", False))


def azure_rbac(cluster: Any) -> bool:
    return entra_integrated(cluster) and bool(getattr(cluster.aad_profile, "enable_azure_rbac", False))


def _fix(cluster: Any, namespace: str, who: str) -> str:
    if azure_rbac(cluster):
        scope = f"{cluster.id}/namespaces/{namespace}"
        return (f"nothing was changed; ask for the {WRITER_ROLE} role on the namespace {namespace} (scope {scope}): "
                f'az role assignment create --role "{WRITER_ROLE}" --assignee {who} --scope {scope}; new assignments '
                "can take a few minutes to reach the cluster; then run this notebook again")
    return (f"nothing was changed; ask a cluster administrator for the edit ClusterRole in the namespace {namespace}: "
            f"kubectl create rolebinding keyless-edit --clusterrole edit --user {who} -n {namespace}; "
            "then run this notebook again")


def check_kubernetes_access(clients: Any, params: Parameters, cluster: Any) -> Check:
    """A passed Check when the caller may do all of NEEDED in the namespace; else a KeylessError naming the role."""
    kube = connect(clients, params.resource_group, cluster.name, params.home)
    missing = []
    for verb, resource, group, why in NEEDED:
        allowed, _ = kube.may(verb, resource, params.namespace, group)
        if not allowed:
            missing.append(f"{verb} {resource}{'.' + group if group else ''} ({why})")
    if missing:
        who = kube.username()
        model = "Azure RBAC for Kubernetes authorization" if azure_rbac(cluster) else "Kubernetes RBAC"
        raise KeylessError(f"on the cluster {cluster.name} ({model}) you ({who}) may not, in the namespace "
                           f"{params.namespace}: {'; '.join(missing)}", _fix(cluster, params.namespace, who),
                           code="KubernetesForbidden")
    return Check(f"you may create ServiceAccounts and patch Deployments in the namespace {params.namespace}", True,
                 "SelfSubjectAccessReview: " + ", ".join(f"{v} {r}" for v, r, _, _ in NEEDED))
