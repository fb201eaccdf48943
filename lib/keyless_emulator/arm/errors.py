"""Resource Manager's error body: {"error": {"code", "message", "target"?, "details"?}}."""
from __future__ import annotations

from typing import Any

from ..errors import EmulatorError

NOT_FOUND_HINT = "For more details please go to https://aka.ms/ARMResourceNotFoundFix"


class ArmError(EmulatorError):
    def __init__(self, status: int, code: str, message: str, *, target: str | None = None,
                 details: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None):
        super().__init__(message, status=status, headers=headers)
        self.code = code
        self.target = target
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        if self.details:
            error["details"] = self.details
        return {"error": error}


def resource_group_not_found(group: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{group}' could not be found.")


def subscription_not_found(subscription: str) -> ArmError:
    return ArmError(404, "SubscriptionNotFound", f"The subscription '{subscription}' could not be found.")


def resource_not_found(full_type: str, name: str, group: str) -> ArmError:
    return ArmError(404, "ResourceNotFound",
                    f"The Resource '{full_type}/{name}' under resource group '{group}' was not found. {NOT_FOUND_HINT}")


def parent_not_found(child_type: str, parent_id: str) -> ArmError:
    return ArmError(404, "ParentResourceNotFound",
                    f"Failed to perform 'write' on resource(s) of type '{child_type}', "
                    f"because the parent resource '{parent_id}' could not be found.")


def invalid_resource_name(name: str, full_type: str, rule: str) -> ArmError:
    return ArmError(400, "InvalidResourceName",
                    f"Resource name '{name}' is invalid for type '{full_type}'. {rule}", target="name")


def bad_request(message: str, code: str = "BadRequest", target: str | None = None) -> ArmError:
    return ArmError(400, code, message, target=target)


def invalid_request_content(message: str) -> ArmError:
    return ArmError(400, "InvalidRequestContent", message)


def missing_property(path: str) -> ArmError:
    return ArmError(400, "InvalidRequestContent",
                    f"The request content was invalid and could not be deserialized: Required property '{path}' not "
                    "found in JSON.",
                    target=path)


def authorization_failed(principal_label: str, object_id: str, action: str, scope: str) -> ArmError:
    return ArmError(403, "AuthorizationFailed",
                    f"The client '{principal_label}' with object id '{object_id}' does not have authorization to "
                    f"perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently "
                    "granted, please refresh your credentials.")


def location_change(name: str, location: str, group: str, requested: str) -> ArmError:
    return ArmError(400, "InvalidResourceLocation",
                    f"The resource '{name}' already exists in location '{location}' in resource group '{group}'. "
                    f"A resource with the same name cannot be created in location '{requested}'. "
                    "Please select a new resource name.")


def location_not_available(location: str, resource_type: str, available: list[str]) -> ArmError:
    """Resource Manager's answer to a region the resource type is not offered in (text as clients
    report it; the status is not documented: 400, as for the other request-validation errors)."""
    return ArmError(400, "LocationNotAvailableForResourceType",
                    f"The provided location '{location}' is not available for resource type '{resource_type}'. "
                    f"List of available regions for the resource type is '{','.join(available)}'.")


def operation_not_found(operation: str) -> ArmError:
    return ArmError(404, "OperationNotFound", f"The operation '{operation}' could not be found.")


def operation_failed(error: dict[str, Any]) -> ArmError:
    """The result of an operation that ended Failed or Canceled, with the operation's own error."""
    return ArmError(400, error.get("code", "OperationFailed"), error.get("message", ""))


def invalid_paging(parameter: str, value: str) -> ArmError:
    return ArmError(400, "BadRequest",
                    f"The value '{value}' of query parameter '{parameter}' is invalid; it must be a positive integer.",
                    target=parameter)
