"""The built-in role definitions the procedure touches, with their real ids and permissions (static data).

Source: Azure built-in roles reference (general, ai-machine-learning).
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

ROLES_BY_ID = {r.id: r for r in BUILT_IN_ROLES}
ROLES_BY_NAME = {r.role_name.lower(): r for r in BUILT_IN_ROLES}
OWNER = ROLES_BY_NAME["owner"]


def role_id_from_definition_id(definition_id: str) -> str:
    """'/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/<guid>' -> '<guid>'."""
    return definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
