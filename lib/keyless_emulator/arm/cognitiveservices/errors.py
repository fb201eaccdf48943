"""Microsoft.CognitiveServices error bodies."""
from __future__ import annotations

from ..errors import ArmError


def local_auth_disabled() -> ArmError:
    return ArmError(400, "BadRequest", "Failed to list key. disableLocalAuth is set to be true")


def custom_domain_in_use(subdomain: str) -> ArmError:
    return ArmError(409, "CustomDomainInUse",
                    f"Please pick a different name. The subdomain name '{subdomain}' is not available as it's "
                    "already used by a resource.")


def invalid_property(path: str, rule: str) -> ArmError:
    return ArmError(400, "BadRequest", f"{path}: {rule}", target=path)


def model_not_supported(model_format: str, name: str, version: str) -> ArmError:
    return ArmError(400, "DeploymentModelNotSupported",
                    f"The model 'Format:{model_format},Name:{name},Version:{version}' is not supported.")


def request_conflict(resource_id: str) -> ArmError:
    return ArmError(409, "RequestConflict",
                    f"Cannot modify resource with id '{resource_id}' because the resource entity provisioning state "
                    "is not terminal. Please wait for the provisioning state to become terminal and then retry the "
                    "request.")
