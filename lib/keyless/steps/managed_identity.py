"""Create the user-assigned managed identity the workload will act as; read its client id
(what the ServiceAccount names) and principal id (what the role assignment names)."""
from __future__ import annotations

from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from ..params import Parameters
from ..results import CREATED, PLANNED, UNCHANGED, StepResult
from ..statefile import StateFile
from ._common import arm_id, explained
from .discover import discovered

TAGS = {"created-by": "keyless-runbook"}


def _values(identity: Any) -> dict[str, Any]:
    return {"identity": identity.name, "client_id": identity.client_id, "principal_id": identity.principal_id,
            "tenant_id": identity.tenant_id, "identity_id": identity.id}


def _command(params: Parameters, location: str) -> str:
    return (f"az identity create -g {params.resource_group} -n {params.identity} -l {location}\n"
            f"az identity show -g {params.resource_group} -n {params.identity} --query '{{clientId:clientId,"
            f"principalId:principalId}}'")


@explained
def create_managed_identity(clients: Any, params: Parameters, state: StateFile) -> StepResult:
    found = discovered(clients, params, state)
    location = found["location"]
    try:
        existing = clients.msi.user_assigned_identities.get(params.resource_group, params.identity)
    except ResourceNotFoundError:
        existing = None
    if existing is not None:
        values = _values(existing)
        state.remember(**values)
        mine = str(state.created.get("identity") or "").lower() == existing.id.lower()
        return StepResult("create-managed-identity", UNCHANGED,
                          f"the identity {existing.name} already exists"
                          + ("" if mine else " (not created by this runbook, so clean-up will keep it)"),
                          values=values, command=_command(params, location))
    if params.dry_run:
        return StepResult("create-managed-identity", PLANNED, f"dry run: the identity {params.identity} would be "
                          "created; nothing sent", values={"identity": params.identity},
                          changes=[f"create the user-assigned managed identity {params.identity} in {location}"],
                          command=_command(params, location))
    from azure.mgmt.msi.models import Identity

    planned_id = arm_id(clients.subscription_id, params.resource_group,
                        f"Microsoft.ManagedIdentity/userAssignedIdentities/{params.identity}")
    with state.intent("identity", planned_id):
        identity = clients.msi.user_assigned_identities.create_or_update(
            params.resource_group, params.identity, Identity(location=location, tags=dict(TAGS)))
    values = _values(identity)
    state.remember(**values)
    state.record_created("identity", identity.id)
    return StepResult("create-managed-identity", CREATED, f"created the identity {identity.name} in {location}",
                      values=values, command=_command(params, location), touched=[identity.id])


def identity_values(clients: Any, params: Parameters, state: StateFile) -> dict[str, Any]:
    """The identity's ids from the state file, else read from Resource Manager."""
    d = state.discovered
    if d.get("identity") == params.identity and d.get("client_id") and d.get("principal_id"):
        return {k: d[k] for k in ("identity", "client_id", "principal_id", "tenant_id", "identity_id")}
    identity = clients.msi.user_assigned_identities.get(params.resource_group, params.identity)
    values = _values(identity)
    state.remember(**values)
    return values


def existing_identity(clients: Any, params: Parameters, state: StateFile) -> dict[str, Any] | None:
    """The identity's ids, or None when it does not exist yet (a dry run plans the steps that need it)."""
    try:
        return identity_values(clients, params, state)
    except ResourceNotFoundError:
        return None


def identity_placeholder(params: Parameters, field_name: str) -> str:
    """What a planned change names in place of an id the identity will only have once it is created."""
    return f"<{field_name} of {params.identity}, once created>"
