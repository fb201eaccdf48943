"""Grant the identity "Cognitive Services OpenAI User" on the Azure OpenAI account — the
account's scope, not the resource group's or the subscription's (least privilege).

Checks before it acts: the caller's own right to write role assignments there (permissions
API), then an existing equal assignment (no request if there is one). The assignment's name is
deterministic (uuid5 of scope, principal and role), so a re-run can never create a duplicate.
"""
from __future__ import annotations

import uuid
from typing import Any

from azure.core.exceptions import ResourceExistsError

from ..errors import KeylessError
from ..params import Parameters
from ..results import CREATED, FAILED, PLANNED, UNCHANGED, Check, StepResult
from ..statefile import StateFile
from ._common import explained
from .discover import discovered
from .managed_identity import existing_identity, identity_placeholder, identity_values
from .permissions import WRITE_ACTION, caller_may_assign

ROLE_NAME = "Cognitive Services OpenAI User"


def assignment_name(scope: str, principal_id: str, role_definition_id: str) -> str:
    key = f"{scope}|{principal_id}|{role_definition_id.rsplit('/', 1)[-1]}".lower()
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "keyless:" + key))


def role_definition_id(clients: Any, scope: str) -> str:
    found = list(clients.authorization.role_definitions.list(scope, filter=f"roleName eq '{ROLE_NAME}'"))
    if len(found) != 1:
        raise KeylessError(f"the built-in role {ROLE_NAME!r} was {'not found' if not found else 'found twice'} at "
                           f"{scope}", "check the cloud parameter; the role exists in every Azure cloud",
                           code="RoleNotFound")
    return str(found[0].id)


def _command(scope: str, principal_id: str) -> str:
    return (f"az role assignment create --role \"{ROLE_NAME}\" --assignee-object-id {principal_id} "
            f"--assignee-principal-type ServicePrincipal --scope {scope}")


def existing_assignment(clients: Any, scope: str, principal_id: str, role_id: str) -> Any | None:
    guid = role_id.rsplit("/", 1)[-1].lower()
    for a in clients.authorization.role_assignments.list_for_scope(scope, filter=f"principalId eq '{principal_id}'"):
        if (a.role_definition_id or "").rsplit("/", 1)[-1].lower() == guid and \
                (a.scope or "").lower() == scope.lower():
            return a
    return None


@explained
def assign_openai_role(clients: Any, params: Parameters, state: StateFile) -> StepResult:
    from .chain import require  # here, not at the top: the chain reads the links these steps build

    require(clients, params, state, "granting the role", ("identity",))
    found = discovered(clients, params, state)
    ident = existing_identity(clients, params, state) if params.dry_run else identity_values(clients, params, state)
    scope = found["openai_account_id"]
    principal = ident["principal_id"] if ident else identity_placeholder(params, "principal id")
    role_id = role_definition_id(clients, scope)
    values = {"role": ROLE_NAME, "scope": scope, "principal_id": principal}
    current = existing_assignment(clients, scope, principal, role_id) if ident else None
    if current is not None:
        values["assignment"] = current.name
        return StepResult("assign-openai-role", UNCHANGED,
                          f"the identity already holds {ROLE_NAME} on {found['openai_account']}; nothing sent",
                          values=values, command=_command(scope, principal))
    may = caller_may_assign(clients, params.resource_group, found["openai_account"])
    if may is False:
        return StepResult("assign-openai-role", FAILED,
                          f"the signed-in identity may not create role assignments on {found['openai_account']}",
                          values=values, command=_command(scope, principal),
                          checks=[Check(f"caller has {WRITE_ACTION}", False, f"at {scope}",
                                        "ask an Owner or User Access Administrator to grant you one of those roles on "
                                        "the account (or the resource group), or to run this step for you")],
                          hint="nothing was changed; get the permission, then run this cell again")
    if params.dry_run:
        return StepResult("assign-openai-role", PLANNED, f"dry run: {ROLE_NAME} would be granted to "
                          f"{params.identity}; nothing sent", values=values,
                          changes=[f"grant {ROLE_NAME} on {found['openai_account']} (the account's scope) to "
                                   f"{params.identity}"], command=_command(scope, principal))
    name = assignment_name(scope, principal, role_id)
    try:
        # the API version the client uses for role assignments (the package's default models are 2015-07-01's)
        from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

        with state.intent("role_assignment", f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"):
            created = clients.authorization.role_assignments.create(scope, name, RoleAssignmentCreateParameters(
                role_definition_id=role_id, principal_id=principal, principal_type="ServicePrincipal"))
    except ResourceExistsError as e:  # an equal assignment under another name appeared meanwhile
        if getattr(getattr(e, "error", None), "code", "") == "RoleAssignmentExists":
            return StepResult("assign-openai-role", UNCHANGED, f"the identity already holds {ROLE_NAME}",
                              values=values, command=_command(scope, principal))
        raise
    values["assignment"] = created.name
    state.record_created("role_assignment", created.id)
    return StepResult("assign-openai-role", CREATED,
                      f"granted {ROLE_NAME} on {found['openai_account']} to {params.identity}",
                      values=values, command=_command(scope, principal), touched=[created.id])
