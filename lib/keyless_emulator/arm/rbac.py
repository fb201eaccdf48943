"""Azure RBAC evaluation: what a principal may do at a scope.

A principal's permissions at a scope are the union of the role assignments made at that
scope or any scope above it (subscription > resource group > resource > child). An action
is allowed when some assignment's role has an `actions` pattern that matches it and no
`notActions` pattern of that same role does; data actions work the same way with
`dataActions` / `notDataActions`. Patterns use `*` as a wildcard and match case-insensitively.

Used by Resource Manager's request chain (arm/security.py) and by the Azure OpenAI data plane
(openai/); Resource Manager providers never evaluate permissions themselves. The role
catalogue and the assignments it reads belong to the Microsoft.Authorization provider.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..state import EmulatorState
from .authorization.catalog import ROLES_BY_ID, RoleDefinition, role_id_from_definition_id

ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
SUBSCRIPTION_READ = "Microsoft.Resources/subscriptions/read"


@lru_cache(maxsize=512)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$", re.IGNORECASE)


def matches(pattern: str, action: str) -> bool:
    return bool(_pattern(pattern).match(action))


def normalize_scope(scope: str) -> str:
    return "/" + scope.strip("/").lower()


def scope_covers(assignment_scope: str, target_scope: str) -> bool:
    """True when `assignment_scope` is `target_scope` or one of its ancestors."""
    a, t = normalize_scope(assignment_scope), normalize_scope(target_scope)
    return a == "/" or t == a or t.startswith(a + "/")


def assigned_at(state: EmulatorState, assignment: dict[str, Any]) -> float:
    """When an assignment was made (wall time); assignments without a record count as old."""
    return float(state.resources.meta(assignment["id"]).get("assigned_at", 0.0))


def assignments_for(state: EmulatorState, principal_id: str, scope: str, *,
                    made_before: float | None = None) -> list[dict[str, Any]]:
    """The principal's assignments at `scope` or above; with `made_before`, only those made by then
    (how a data plane sees assignments that have not propagated yet)."""
    return [d for d in state.resources.of_type(ASSIGNMENT_TYPE)
            if d["properties"]["principalId"] == principal_id and scope_covers(d["properties"]["scope"], scope)
            and (made_before is None or assigned_at(state, d) <= made_before)]


def roles_for(state: EmulatorState, principal_id: str, scope: str, *,
              made_before: float | None = None) -> list[RoleDefinition]:
    roles = []
    for a in assignments_for(state, principal_id, scope, made_before=made_before):
        role = ROLES_BY_ID.get(role_id_from_definition_id(a["properties"]["roleDefinitionId"]))
        if role is not None:
            roles.append(role)
    return roles


def _allowed_by(role: RoleDefinition, action: str, data: bool) -> bool:
    allow, deny = (role.data_actions, role.not_data_actions) if data else (role.actions, role.not_actions)
    return any(matches(p, action) for p in allow) and not any(matches(p, action) for p in deny)


def is_allowed(state: EmulatorState, principal_id: str, action: str, scope: str, *, data: bool = False,
               made_before: float | None = None) -> bool:
    return any(_allowed_by(r, action, data) for r in roles_for(state, principal_id, scope, made_before=made_before))


def permissions_at(state: EmulatorState, principal_id: str, scope: str) -> list[dict[str, list[str]]]:
    """The caller's effective permissions at a scope, in the shape of the permissions API."""
    return [{"actions": list(r.actions), "notActions": list(r.not_actions),
             "dataActions": list(r.data_actions), "notDataActions": list(r.not_data_actions)}
            for r in roles_for(state, principal_id, scope)]


def readable_under(state: EmulatorState, principal_id: str, action: str, scope: str,
                   resource_type: str) -> frozenset[str]:
    """The ids (lower-cased) of the resources of one type under `scope` on which the principal may
    perform `action`: how Resource Manager narrows a collection GET for a caller who may not read
    the whole collection."""
    return frozenset(d["id"].lower() for d in state.resources.under(scope, resource_type)
                     if is_allowed(state, principal_id, action, d["id"]))


def visible_subscriptions(state: EmulatorState, principal_id: str, tenant_id: str) -> frozenset[str]:
    """The subscriptions of the principal's tenant it can see: those it may read, or under which it
    holds any role assignment (what `GET /subscriptions` lists)."""
    return frozenset(s.id for s in state.subscriptions.values()
                     if s.tenant_id == tenant_id
                     and (is_allowed(state, principal_id, SUBSCRIPTION_READ, f"/subscriptions/{s.id}")
                          or _has_any_assignment_under(state, principal_id, s.id)))


def _has_any_assignment_under(state: EmulatorState, principal_id: str, subscription: str) -> bool:
    prefix = f"/subscriptions/{subscription}".lower()
    return any(d["properties"]["principalId"] == principal_id and d["properties"]["scope"].lower().startswith(prefix)
               for d in state.resources.of_type(ASSIGNMENT_TYPE))
