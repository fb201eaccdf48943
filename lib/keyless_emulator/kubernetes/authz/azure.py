"""Azure RBAC for Kubernetes authorization (AKS's authorization webhook): on a cluster with
`aadProfile.enableAzureRBAC`, a Microsoft Entra caller's request is allowed when one of its Azure role
assignments at the cluster's scope, or at `<cluster id>/namespaces/<namespace>` for a namespaced request,
has a data action matching the request: `Microsoft.ContainerService/managedClusters/<group/><resource>/
<read|write|delete|verb/action>` (get, list, watch → read; create, update, patch → write; delete,
deletecollection → delete; exec, attach, portforward on pods → `pods/<subresource>/action`; other verbs
such as impersonate → `<verb>/action`). A subresource is authorized as its resource otherwise (our choice:
AKS publishes no mapping for `pods/log` or `services/proxy`; the built-in roles grant them with the
resource). Assignments come from the Microsoft.Authorization provider (arm/rbac.py evaluates them).

A denial carries the webhook's reason, as AKS answers it (the text quoted from AKS in public reports;
not from a Microsoft document).
"""
from __future__ import annotations

from typing import Any

from ...arm import rbac
from ...state import EmulatorState
from .attributes import Attributes
from .user import UserInfo

DATA_ACTION_PREFIX = "Microsoft.ContainerService/managedClusters"
DENIED_REASON = "User does not have access to the resource in Azure. Update role assignment to allow access."
_VERB_ACTIONS = {"get": "read", "list": "read", "watch": "read", "create": "write", "update": "write",
                 "patch": "write", "delete": "delete", "deletecollection": "delete"}
_ACTION_SUBRESOURCES = ("exec", "attach", "portforward")


def data_action(a: Attributes) -> str:
    """The data action a resource request needs."""
    group = f"{a.api_group}/" if a.api_group else ""
    if a.resource == "pods" and a.subresource in _ACTION_SUBRESOURCES:
        return f"{DATA_ACTION_PREFIX}/{group}pods/{a.subresource}/action"
    verb = _VERB_ACTIONS.get(a.verb, f"{a.verb}/action")
    return f"{DATA_ACTION_PREFIX}/{group}{a.resource}/{verb}"


def scope(cluster_id: str, a: Attributes) -> str:
    return f"{cluster_id}/namespaces/{a.namespace}" if a.namespace else cluster_id


def allows(state: EmulatorState, cluster_doc: dict[str, Any], user: UserInfo, a: Attributes) -> bool:
    if not user.entra_object_id or not a.resource_request:
        return False  # the webhook has no opinion on non-Entra callers and non-resource paths (RBAC decides)
    return rbac.is_allowed(state, user.entra_object_id, data_action(a), scope(cluster_doc["id"], a), data=True)
