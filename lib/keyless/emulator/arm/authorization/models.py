"""Role definitions and role assignments — the rules, with no HTTP in sight."""
from __future__ import annotations

from typing import Any

from ...state import EmulatorState
from .rbac import ASSIGNMENT_TYPE, normalize_scope
from .roles import ROLES_BY_NAME


def definition_id(subscription: str, role_guid: str) -> str:
    return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"


def seed_assignment(state: EmulatorState, scope: str, principal_id: str, role_name: str,
                    principal_type: str = "ServicePrincipal") -> dict[str, Any]:
    """Assign a built-in role directly (scenarios); the name derives from scope, principal and role."""
    role = ROLES_BY_NAME[role_name.lower()]
    subscription = scope.strip("/").split("/")[1]
    name = state.ids.guid("role-assignment", scope, principal_id, role.id)
    now = state.clock.iso()
    scope = "/" + scope.strip("/")
    doc = {"id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}", "name": name,
           "type": ASSIGNMENT_TYPE,
           "properties": {"roleDefinitionId": definition_id(subscription, role.id), "principalId": principal_id,
                          "principalType": principal_type, "scope": scope, "condition": None,
                          "conditionVersion": None, "description": None, "createdOn": now, "updatedOn": now,
                          "createdBy": None, "updatedBy": None, "delegatedManagedIdentityResourceId": None}}
    assert normalize_scope(scope)
    return state.resources.put(doc)
