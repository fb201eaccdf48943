"""Microsoft.Authorization's own error codes, worded as the service words them."""
from __future__ import annotations

from ..errors import ArmError

PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")


def role_definition_does_not_exist(role_guid: str, status: int = 400) -> ArmError:
    return ArmError(status, "RoleDefinitionDoesNotExist",
                    f"The specified role definition with ID '{role_guid}' does not exist.")


def invalid_role_definition_id(value: object) -> ArmError:
    return ArmError(400, "InvalidRoleDefinitionId",
                    f"The role definition ID '{value}' is not valid: properties.roleDefinitionId must look like "
                    "/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/{roleGuid}.")


def role_assignment_not_found(name: str) -> ArmError:
    return ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")


def invalid_role_assignment_id(name: str) -> ArmError:
    return ArmError(400, "InvalidRoleAssignmentId",
                    f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.")


def invalid_principal_id(value: object) -> ArmError:
    return ArmError(400, "InvalidPrincipalId",
                    f"A valid principal ID must be provided for role assignment (properties.principalId must be "
                    f"the object id of a principal, a GUID; got {value!r}).")


def invalid_principal_type(value: object) -> ArmError:
    return ArmError(400, "InvalidRequestContent",
                    f"The request content was invalid: properties.principalType must be one of "
                    f"{', '.join(PRINCIPAL_TYPES)}; got {value!r}.", target="properties.principalType")


def principal_not_found(principal_id: str, tenant_id: str) -> ArmError:
    return ArmError(400, "PrincipalNotFound",
                    f"Principal {principal_id.replace('-', '')} does not exist in the directory {tenant_id}. Check "
                    "that you have the correct principal ID. If you are creating this principal and then immediately "
                    "assigning a role, this error might be related to a replication delay. In this case, set the role "
                    "assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See "
                    "https://aka.ms/docs-principaltype")


def unmatched_principal_type(principal_id: str, actual: str, given: str) -> ArmError:
    # "PrinciaplType" is the service's own spelling.
    return ArmError(400, "UnmatchedPrincipalType",
                    f"The PrincipalId '{principal_id.replace('-', '')}' has type '{actual}' , which is different "
                    f"from specified PrinciaplType '{given}'.")


def role_assignment_exists(existing_name: str) -> ArmError:
    return ArmError(409, "RoleAssignmentExists",
                    "The role assignment already exists. The ID of the existing role assignment is "
                    f"{existing_name.replace('-', '')}.")


def role_assignment_update_not_permitted() -> ArmError:
    return ArmError(409, "RoleAssignmentUpdateNotPermitted",
                    "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")


def invalid_filter(expression: str, supported: str) -> ArmError:
    return ArmError(400, "InvalidFilterInQueryString",
                    f"Invalid $filter '{expression}' specified in the query string. Supported: {supported}.")


def unsupported_scope(scope: str) -> ArmError:
    return ArmError(400, "InvalidScope",
                    f"The scope '{scope}' is not supported: use a subscription, resource group or resource scope.")
