"""Role definitions and role assignments — the rules, with no HTTP in sight.

Scopes arrive as the SDKs build them (`subscriptions/s/resourceGroups/g/...`, sometimes with
doubled slashes when a path part is empty); `clean_scope` turns them into `/subscriptions/...`.
Role assignment names are GUIDs chosen by the client and unique in the tenant: a second name
for the same (scope, principal, role) is `RoleAssignmentExists`; the same name with another
scope, principal or role is `RoleAssignmentUpdateNotPermitted`; the same name and body again
is an idempotent success.
"""
from __future__ import annotations

import re
from typing import Any

from ...state import EmulatorState
from ..errors import bad_request, missing_property, resource_group_not_found, resource_not_found
from ..rbac import ASSIGNMENT_TYPE, permissions_at, scope_covers
from . import errors
from .catalog import BUILT_IN_ROLES, ROLES_BY_ID, ROLES_BY_NAME, RoleDefinition, role_id_from_definition_id

DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions"
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_DEFINITION_ID = re.compile(r"^(?:/subscriptions/[^/]+)?/providers/Microsoft\.Authorization/roleDefinitions/([^/]+)/?$",
                            re.IGNORECASE)


# -- scopes ------------------------------------------------------------------------------
def clean_scope(scope: str) -> str:
    """'subscriptions/s//x/' -> '/subscriptions/s/x' (empty segments dropped)."""
    return "/" + "/".join(p for p in scope.split("/") if p)


def subscription_of(scope: str) -> str | None:
    parts = clean_scope(scope).strip("/").split("/")
    return parts[1] if len(parts) >= 2 and parts[0].lower() == "subscriptions" else None


def _cluster_namespace_scope(state: EmulatorState, parts: list[str]) -> bool:
    """`<managed cluster id>/namespaces/<namespace>`: the namespace scope of Azure RBAC for Kubernetes
    authorization, which Resource Manager accepts for an existing cluster (the namespace is not an ARM resource)."""
    if len(parts) != 10 or parts[8].lower() != "namespaces":
        return False
    parent = state.resources.get("/" + "/".join(parts[:8]))
    return bool(parent) and parent.get("type", "").lower() == "microsoft.containerservice/managedclusters"


def require_scope(state: EmulatorState, scope: str) -> str:
    """The scope, cleaned, once its resource group and resource are known to exist."""
    scope = clean_scope(scope)
    parts = scope.strip("/").split("/")
    if len(parts) < 2 or parts[0].lower() != "subscriptions" or len(parts) == 3:
        raise errors.unsupported_scope(scope)
    if len(parts) == 2:
        return scope
    if parts[2].lower() != "resourcegroups":
        raise errors.unsupported_scope(scope)
    group_id = "/".join([""] + parts[:4])
    if not state.resources.exists(group_id):
        raise resource_group_not_found(parts[3])
    if len(parts) == 4:
        return scope
    if parts[4].lower() != "providers" or len(parts) < 8 or len(parts) % 2:
        raise errors.unsupported_scope(scope)
    if not state.resources.exists(scope) and not _cluster_namespace_scope(state, parts):
        full_type = "/".join([parts[5]] + parts[6::2])
        raise resource_not_found(full_type, "/".join(parts[7::2]), parts[3])
    return scope


# -- role definitions --------------------------------------------------------------------
def definition_id(subscription: str | None, role_guid: str) -> str:
    prefix = f"/subscriptions/{subscription}" if subscription else ""
    return f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"


def definition_document(role: RoleDefinition, scope: str) -> dict[str, Any]:
    return {"id": definition_id(subscription_of(scope), role.id), "name": role.id, "type": DEFINITION_TYPE,
            "properties": {"roleName": role.role_name, "type": "BuiltInRole", "description": role.description,
                           "assignableScopes": list(role.assignable_scopes),
                           "permissions": [{"actions": list(role.actions), "notActions": list(role.not_actions),
                                            "dataActions": list(role.data_actions),
                                            "notDataActions": list(role.not_data_actions)}],
                           "createdOn": None, "updatedOn": None, "createdBy": None, "updatedBy": None}}


def get_definition(scope: str, role_guid: str) -> dict[str, Any]:
    role = ROLES_BY_ID.get(role_guid.lower())
    if role is None:
        raise errors.role_definition_does_not_exist(role_guid, status=404)
    return definition_document(role, scope)


_DEFINITION_TERM = re.compile(r"^\s*(roleName|type)\s+eq\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)


def list_definitions(scope: str, filter_expr: str) -> list[dict[str, Any]]:
    """All built-in roles, or those a `roleName eq '...'` / `type eq '...'` filter selects."""
    roles = list(BUILT_IN_ROLES)
    if filter_expr.strip():
        for part in re.split(r"\s+and\s+", filter_expr.strip(), flags=re.IGNORECASE):
            m = _DEFINITION_TERM.match(part)
            if not m:
                raise errors.invalid_filter(filter_expr, "roleName eq '<name>', type eq 'BuiltInRole'|'CustomRole'")
            field, value = m.group(1).lower(), m.group(2).replace("''", "'")
            if field == "rolename":
                roles = [r for r in roles if r.role_name.lower() == value.lower()]
            else:
                roles = [r for r in roles if value.lower() == "builtinrole"]
    return [definition_document(r, scope) for r in roles]


def role_for_definition_id(value: Any) -> RoleDefinition:
    if value is None or value == "":
        raise missing_property("properties.roleDefinitionId")
    m = _DEFINITION_ID.match(value.strip()) if isinstance(value, str) else None
    if not m:
        raise errors.invalid_role_definition_id(value)
    role = ROLES_BY_ID.get(m.group(1).lower())
    if role is None:
        raise errors.role_definition_does_not_exist(m.group(1))
    return role


# -- role assignments --------------------------------------------------------------------
def assignment_id(scope: str, name: str) -> str:
    return f"{clean_scope(scope)}/providers/Microsoft.Authorization/roleAssignments/{name}"


def _assignment_document(state: EmulatorState, scope: str, name: str, role: RoleDefinition, principal_id: str,
                         principal_type: str, *, description: Any = None, condition: Any = None,
                         condition_version: Any = None, created_by: str | None = None) -> dict[str, Any]:
    now = state.clock.iso()
    scope = clean_scope(scope)
    return {"id": assignment_id(scope, name), "name": name, "type": ASSIGNMENT_TYPE,
            "properties": {"roleDefinitionId": definition_id(subscription_of(scope), role.id),
                           "principalId": principal_id, "principalType": principal_type, "scope": scope,
                           "condition": condition, "conditionVersion": condition_version, "description": description,
                           "createdOn": now, "updatedOn": now, "createdBy": created_by, "updatedBy": created_by,
                           "delegatedManagedIdentityResourceId": None}}


def _store(state: EmulatorState, doc: dict[str, Any]) -> dict[str, Any]:
    stored = state.resources.put(doc)
    state.resources.meta(doc["id"])["assigned_at"] = state.clock.time()
    return stored


def seed_assignment(state: EmulatorState, scope: str, principal_id: str, role_name: str,
                    principal_type: str = "ServicePrincipal") -> dict[str, Any]:
    """Assign a built-in role directly (scenarios); the name derives from scope, principal and role."""
    role = ROLES_BY_NAME[role_name.lower()]
    name = state.ids.guid("role-assignment", clean_scope(scope), principal_id, role.id)
    return _store(state, _assignment_document(state, scope, name, role, principal_id, principal_type))


def _tenant_of(state: EmulatorState, scope: str) -> str | None:
    sub = state.subscription(subscription_of(scope) or "")
    return sub.tenant_id if sub else None


def _assignments_in_tenant(state: EmulatorState, tenant_id: str | None) -> list[dict[str, Any]]:
    return [d for d in state.resources.of_type(ASSIGNMENT_TYPE)
            if _tenant_of(state, d["properties"]["scope"]) == tenant_id]


def _principal_type(state: EmulatorState, scope: str, principal_id: str, given: Any) -> str:
    if given is not None and given not in errors.PRINCIPAL_TYPES:
        raise errors.invalid_principal_type(given)
    tenant_id = _tenant_of(state, scope) or ""
    principal = state.principals.get(principal_id.lower())
    if principal is None or principal.tenant_id != tenant_id:
        if given is None:
            raise errors.principal_not_found(principal_id, tenant_id)
        return given  # the service trusts the caller's type instead of looking the principal up
    actual = "ServicePrincipal"  # applications and managed identities alike
    if given is not None and given != actual:
        raise errors.unmatched_principal_type(principal_id, actual, given)
    return actual


def create_assignment(state: EmulatorState, scope: str, name: str, body: Any, *,
                      caller_id: str | None) -> tuple[dict[str, Any], bool]:
    """Create a role assignment; returns (document, created). Re-PUT of the same assignment is a no-op."""
    if not _GUID.match(name):
        raise errors.invalid_role_assignment_id(name)
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        raise missing_property("properties")
    props = body["properties"]
    role = role_for_definition_id(props.get("roleDefinitionId"))
    principal_id = props.get("principalId")
    if principal_id is None or principal_id == "":
        raise missing_property("properties.principalId")
    if not isinstance(principal_id, str) or not _GUID.match(principal_id):
        raise errors.invalid_principal_id(principal_id)
    principal_id = principal_id.lower()
    for key in ("description", "condition", "conditionVersion"):
        if props.get(key) is not None and not isinstance(props[key], str):
            raise bad_request(f"properties.{key} must be a string.", code="InvalidRequestContent",
                              target=f"properties.{key}")
    with state.lock:
        scope = require_scope(state, scope)
        tenant_assignments = _assignments_in_tenant(state, _tenant_of(state, scope))
        same_name = next((d for d in tenant_assignments if d["name"].lower() == name.lower()), None)
        if same_name is not None:
            p = same_name["properties"]
            if (p["scope"].lower() == scope.lower() and p["principalId"] == principal_id
                    and role_id_from_definition_id(p["roleDefinitionId"]) == role.id):
                return same_name, False
            raise errors.role_assignment_update_not_permitted()
        for d in tenant_assignments:
            p = d["properties"]
            if (p["scope"].lower() == scope.lower() and p["principalId"] == principal_id
                    and role_id_from_definition_id(p["roleDefinitionId"]) == role.id):
                raise errors.role_assignment_exists(d["name"])
        principal_type = _principal_type(state, scope, principal_id, props.get("principalType"))
        doc = _assignment_document(state, scope, name, role, principal_id, principal_type,
                                   description=props.get("description"), condition=props.get("condition"),
                                   condition_version=props.get("conditionVersion"), created_by=caller_id)
        return _store(state, doc), True


def get_assignment(state: EmulatorState, scope: str, name: str) -> dict[str, Any]:
    doc = state.resources.get(assignment_id(scope, name))
    if doc is None:
        raise errors.role_assignment_not_found(name)
    return doc


def delete_assignment(state: EmulatorState, scope: str, name: str) -> dict[str, Any] | None:
    """Remove an assignment; None when there was none (the service then answers 204)."""
    with state.lock:
        doc = state.resources.get(assignment_id(scope, name))
        if doc is not None:
            state.delete_resource(doc["id"])
        return doc


_ASSIGNMENT_TERMS = (
    (re.compile(r"^\s*atScope\(\)\s*$", re.IGNORECASE), "at_scope"),
    (re.compile(r"^\s*principalId\s+eq\s+'([^']*)'\s*$", re.IGNORECASE), "principal"),
    (re.compile(r"^\s*assignedTo\('([^']*)'\)\s*$", re.IGNORECASE), "principal"),
    (re.compile(r"^\s*roleDefinitionId\s+eq\s+'([^']*)'\s*$", re.IGNORECASE), "role"),
)
_ASSIGNMENT_FILTER_HELP = ("atScope(), principalId eq '<id>', assignedTo('<id>'), roleDefinitionId eq '<id>', "
                           "joined by 'and'")


def _parse_assignment_filter(expression: str) -> dict[str, Any]:
    terms: dict[str, Any] = {}
    if not expression.strip():
        return terms
    for part in re.split(r"\s+and\s+", expression.strip(), flags=re.IGNORECASE):
        for pattern, key in _ASSIGNMENT_TERMS:
            m = pattern.match(part)
            if m:
                terms[key] = m.group(1).lower() if m.groups() else True
                break
        else:
            raise errors.invalid_filter(expression, _ASSIGNMENT_FILTER_HELP)
    return terms


def list_assignments(state: EmulatorState, scope: str, filter_expr: str) -> list[dict[str, Any]]:
    """Assignments at, above and below `scope`; `atScope()` keeps those at or above it."""
    terms = _parse_assignment_filter(filter_expr)
    scope = require_scope(state, scope)
    out = []
    for d in state.resources.of_type(ASSIGNMENT_TYPE):
        p = d["properties"]
        above_or_at = scope_covers(p["scope"], scope)
        if not above_or_at and (terms.get("at_scope") or not scope_covers(scope, p["scope"])):
            continue
        if "principal" in terms and p["principalId"] != terms["principal"]:
            continue
        if "role" in terms and (role_id_from_definition_id(p["roleDefinitionId"])
                                != role_id_from_definition_id(terms["role"])):
            continue
        out.append(d)
    return out


def permissions_for(state: EmulatorState, principal_id: str, scope: str) -> list[dict[str, list[str]]]:
    """The principal's effective permissions at an existing scope (the permissions API's answer)."""
    return permissions_at(state, principal_id, require_scope(state, scope))
