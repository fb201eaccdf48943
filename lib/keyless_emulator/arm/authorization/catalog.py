"""The built-in role definitions the procedure touches, with their real ids and permissions (static data).

Source: Azure built-in roles reference (general, ai-machine-learning, containers). The Azure Kubernetes Service
RBAC roles' data actions are what Azure RBAC for Kubernetes authorization evaluates on an Entra-integrated
cluster's API server (kubernetes/authz/azure.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RoleDefinition:
    id: str  # the GUID, the same in every tenant
    role_name: str
    description: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()
    assignable_scopes: tuple[str, ...] = field(default=("/",))


_OPENAI = "Microsoft.CognitiveServices/accounts/OpenAI"

BUILT_IN_ROLES: tuple[RoleDefinition, ...] = (
    RoleDefinition(
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner",
        "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
        actions=("*",)),
    RoleDefinition(
        "b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor",
        "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, "
        "manage assignments in Azure Blueprints, or share image galleries.",
        actions=("*",),
        not_actions=("Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
                     "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
                     "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
                     "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
                     "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
                     "Microsoft.Subscription/cancel/action", "Microsoft.Subscription/enable/action")),
    RoleDefinition(
        "acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader",
        "View all resources, but does not allow you to make any changes.",
        actions=("*/read",)),
    RoleDefinition(
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator",
        "Lets you manage user access to Azure resources.",
        actions=("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*")),
    RoleDefinition(
        "a97b65f3-24c7-4388-baec-2e87135dc908", "Cognitive Services User",
        "Lets you read and list keys of Cognitive Services.",
        actions=("Microsoft.CognitiveServices/*/read", "Microsoft.CognitiveServices/accounts/listkeys/action",
                 "Microsoft.Insights/alertRules/read", "Microsoft.Insights/diagnosticSettings/read",
                 "Microsoft.Insights/logDefinitions/read", "Microsoft.Insights/metricdefinitions/read",
                 "Microsoft.Insights/metrics/read", "Microsoft.ResourceHealth/availabilityStatuses/read",
                 "Microsoft.Resources/deployments/operations/read",
                 "Microsoft.Resources/subscriptions/operationresults/read",
                 "Microsoft.Resources/subscriptions/read", "Microsoft.Resources/subscriptions/resourceGroups/read",
                 "Microsoft.Support/*"),
        data_actions=("Microsoft.CognitiveServices/*",)),
    RoleDefinition(
        "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd", "Cognitive Services OpenAI User",
        "Read access to view files, models, deployments. The ability to create completion and embedding calls.",
        actions=("Microsoft.CognitiveServices/*/read", "Microsoft.Authorization/roleAssignments/read",
                 "Microsoft.Authorization/roleDefinitions/read"),
        data_actions=(f"{_OPENAI}/*/read", f"{_OPENAI}/engines/completions/action",
                      f"{_OPENAI}/engines/search/action", f"{_OPENAI}/engines/generate/action",
                      f"{_OPENAI}/deployments/audio/action", f"{_OPENAI}/deployments/search/action",
                      f"{_OPENAI}/deployments/completions/action", f"{_OPENAI}/deployments/chat/completions/action",
                      f"{_OPENAI}/deployments/realtime/action",
                      f"{_OPENAI}/deployments/extensions/chat/completions/action",
                      f"{_OPENAI}/deployments/embeddings/action", f"{_OPENAI}/images/generations/action",
                      f"{_OPENAI}/assistants/*"),
        not_data_actions=(f"{_OPENAI}/stored-completions/read",)),
    RoleDefinition(
        "a001fd3d-188f-4b5d-821b-7da978bf7442", "Cognitive Services OpenAI Contributor",
        "Full access including the ability to fine-tune, deploy and generate text",
        actions=("Microsoft.CognitiveServices/*/read", "Microsoft.CognitiveServices/accounts/deployments/write",
                 "Microsoft.CognitiveServices/accounts/deployments/delete",
                 "Microsoft.CognitiveServices/accounts/raiPolicies/read",
                 "Microsoft.CognitiveServices/accounts/raiPolicies/write",
                 "Microsoft.CognitiveServices/accounts/raiPolicies/delete",
                 "Microsoft.CognitiveServices/accounts/commitmentplans/read",
                 "Microsoft.CognitiveServices/accounts/commitmentplans/write",
                 "Microsoft.CognitiveServices/accounts/commitmentplans/delete",
                 "Microsoft.Authorization/roleAssignments/read", "Microsoft.Authorization/roleDefinitions/read"),
        data_actions=(f"{_OPENAI}/*",)),
)

_AKS = "Microsoft.ContainerService/managedClusters"
_AKS_READ_ACTIONS = ("Microsoft.Authorization/*/read", "Microsoft.Resources/subscriptions/operationresults/read",
                     "Microsoft.Resources/subscriptions/read", "Microsoft.Resources/subscriptions/resourceGroups/read")
_AKS_ADMIN_ACTIONS = (*_AKS_READ_ACTIONS[:1], "Microsoft.Insights/alertRules/*",
                      "Microsoft.Resources/deployments/write", *_AKS_READ_ACTIONS[1:], "Microsoft.Support/*",
                      f"{_AKS}/listClusterUserCredential/action")
_AKS_READER_DATA = tuple(f"{_AKS}/{x}/read" for x in (
    "apps/controllerrevisions", "apps/daemonsets", "apps/deployments", "apps/replicasets", "apps/statefulsets",
    "autoscaling/horizontalpodautoscalers", "batch/cronjobs", "batch/jobs", "configmaps",
    "discovery.k8s.io/endpointslices", "endpoints", "events.k8s.io/events", "events", "extensions/daemonsets",
    "extensions/deployments", "extensions/ingresses", "extensions/networkpolicies", "extensions/replicasets",
    "limitranges", "metrics.k8s.io/pods", "metrics.k8s.io/nodes", "namespaces", "networking.k8s.io/ingresses",
    "networking.k8s.io/networkpolicies", "persistentvolumeclaims", "pods", "policy/poddisruptionbudgets",
    "replicationcontrollers", "resourcequotas", "serviceaccounts", "services"))
_AKS_WRITER_DATA = (
    f"{_AKS}/apps/controllerrevisions/read", *(f"{_AKS}/{x}/*" for x in (
        "apps/daemonsets", "apps/deployments", "apps/replicasets", "apps/statefulsets",
        "autoscaling/horizontalpodautoscalers", "batch/cronjobs", "coordination.k8s.io/leases", "batch/jobs",
        "configmaps")),
    f"{_AKS}/discovery.k8s.io/endpointslices/read", f"{_AKS}/endpoints/*", f"{_AKS}/events.k8s.io/events/read",
    f"{_AKS}/events/*", *(f"{_AKS}/extensions/{x}/*" for x in (
        "daemonsets", "deployments", "ingresses", "networkpolicies", "replicasets")),
    f"{_AKS}/limitranges/read", f"{_AKS}/metrics.k8s.io/pods/read", f"{_AKS}/metrics.k8s.io/nodes/read",
    f"{_AKS}/namespaces/read", f"{_AKS}/networking.k8s.io/ingresses/*", f"{_AKS}/networking.k8s.io/networkpolicies/*",
    f"{_AKS}/persistentvolumeclaims/*", f"{_AKS}/pods/*", f"{_AKS}/policy/poddisruptionbudgets/*",
    f"{_AKS}/replicationcontrollers/*", f"{_AKS}/resourcequotas/read", f"{_AKS}/secrets/*",
    f"{_AKS}/serviceaccounts/*", f"{_AKS}/services/*")

AKS_RBAC_ROLES: tuple[RoleDefinition, ...] = (
    RoleDefinition(
        "7f6c6a51-bcf8-42ba-9220-52d62157d7db", "Azure Kubernetes Service RBAC Reader",
        "Allows read-only access to see most objects in a namespace. It does not allow viewing roles or role "
        "bindings. This role does not allow viewing Secrets, since reading the contents of Secrets enables access "
        "to ServiceAccount credentials in the namespace, which would allow API access as any ServiceAccount in the "
        "namespace (a form of privilege escalation). Applying this role at cluster scope will give access across "
        "all namespaces.",
        actions=_AKS_READ_ACTIONS, data_actions=_AKS_READER_DATA),
    RoleDefinition(
        "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb", "Azure Kubernetes Service RBAC Writer",
        "Allows read/write access to most objects in a namespace.This role does not allow viewing or modifying "
        "roles or role bindings. However, this role allows accessing Secrets and running Pods as any ServiceAccount "
        "in the namespace, so it can be used to gain the API access levels of any ServiceAccount in the namespace. "
        "Applying this role at cluster scope will give access across all namespaces.",
        actions=_AKS_READ_ACTIONS, data_actions=_AKS_WRITER_DATA),
    RoleDefinition(
        "3498e952-d568-435e-9b2c-8d77e338d7f7", "Azure Kubernetes Service RBAC Admin",
        "Lets you manage all resources under cluster/namespace, except update or delete resource quotas and "
        "namespaces.",
        actions=_AKS_ADMIN_ACTIONS, data_actions=(f"{_AKS}/*",),
        not_data_actions=(f"{_AKS}/resourcequotas/write", f"{_AKS}/resourcequotas/delete",
                          f"{_AKS}/namespaces/write", f"{_AKS}/namespaces/delete")),
    RoleDefinition(
        "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b", "Azure Kubernetes Service RBAC Cluster Admin",
        "Lets you manage all resources in the cluster.",
        actions=_AKS_ADMIN_ACTIONS, data_actions=(f"{_AKS}/*",)),
    RoleDefinition(
        "4abbcc35-e782-43d8-92c5-2d3f1bd2253f", "Azure Kubernetes Service Cluster User Role",
        "List cluster user credential action.",
        actions=(f"{_AKS}/listClusterUserCredential/action", f"{_AKS}/read")),
    RoleDefinition(
        "0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8", "Azure Kubernetes Service Cluster Admin Role",
        "List cluster admin credential action.",
        actions=(f"{_AKS}/listClusterAdminCredential/action", f"{_AKS}/accessProfiles/listCredential/action",
                 f"{_AKS}/read", f"{_AKS}/runcommand/action")),
)
BUILT_IN_ROLES = BUILT_IN_ROLES + AKS_RBAC_ROLES

ROLES_BY_ID = {r.id: r for r in BUILT_IN_ROLES}
ROLES_BY_NAME = {r.role_name.lower(): r for r in BUILT_IN_ROLES}
OWNER = ROLES_BY_NAME["owner"]


def role_id_from_definition_id(definition_id: str) -> str:
    """'/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/<guid>' -> '<guid>'."""
    return definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
