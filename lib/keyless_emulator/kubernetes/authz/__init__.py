"""Who may do what on a cluster's API server: ONE authorizer chain, used by the request chain (every
Kubernetes request after authentication, kubernetes/security.py) and by SubjectAccessReview and
SelfSubjectAccessReview (kubernetes/reviews.py), so a review answers from the very rules that decide.

The chain is the one AKS configures: members of system:masters are allowed everything first
(kube-apiserver's privileged-group authorizer, whatever the bindings say: the local account is one),
then Kubernetes RBAC (rbac.py: Roles, ClusterRoles and their bindings in the cluster's store, seeded
with the bootstrap policy of bootstrap.py), then, on a cluster with Azure RBAC for Kubernetes
authorization, the Azure authorizer (azure.py: role assignments of the caller's Entra object id). The
first that allows wins; when none does, the request is answered 403 with kube-apiserver's
forbidden message followed by the authorizers' reasons (attributes.forbidden_message).

Layout: user.py (who), attributes.py (what: a request or a review spec), rbac.py, azure.py, bootstrap.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ... import clusters
from ...state import EmulatorState
from . import azure, rbac
from .attributes import Attributes, forbidden_message
from .user import MASTERS, UserInfo


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # why, as the review's status.reason / the 403's suffix
    by: str = ""      # which authorizer allowed it: "RBAC" or "AzureRBAC"


def decide(state: EmulatorState, store: rbac.ObjectReader, cluster_doc: dict[str, Any], user: UserInfo,
           a: Attributes) -> Decision:
    if MASTERS in user.groups:
        return Decision(True, "", "system:masters")
    if rbac.allows(store, user, a):
        return Decision(True, "", "RBAC")
    admin_groups = set(clusters.aad_profile(cluster_doc).get("adminGroupObjectIDs") or ())
    if clusters.entra_integrated(cluster_doc) and admin_groups & set(user.groups):
        # AKS binds aadProfile.adminGroupObjectIDs to cluster-admin (ClusterRoleBinding aks-cluster-admin-binding-aad)
        return Decision(True, "", "RBAC")
    if clusters.azure_rbac_enabled(cluster_doc):
        if azure.allows(state, cluster_doc, user, a):
            return Decision(True, "", "AzureRBAC")
        if user.entra_object_id:
            return Decision(False, azure.DENIED_REASON)
    return Decision(False, "")


def denial_message(user: UserInfo, a: Attributes, decision: Decision) -> str:
    return forbidden_message(user.username, a, decision.reason)


__all__ = ["Attributes", "Decision", "UserInfo", "decide", "denial_message"]
