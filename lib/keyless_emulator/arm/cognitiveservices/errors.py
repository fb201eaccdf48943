"""The errors Microsoft.CognitiveServices answers with (beyond ARM's generic ones in arm/errors.py)."""
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


def location_conflict(name: str, location: str, group: str, requested: str) -> ArmError:
    """Cognitive Services answers a location change with 409 (Resource Manager's generic one is 400)."""
    return ArmError(409, "InvalidResourceLocation",
                    f"The resource '{name}' already exists in location '{location}' in resource "
                    f"group '{group}'. A resource with the same name cannot be created in location "
                    f"'{requested}'. Please select a new resource name.")


def deployment_sku_not_supported(sku: str, model: str, version: str, supported: tuple[str, ...]) -> ArmError:
    return ArmError(400, "InvalidResourceProperties",
                    f"The specified SKU '{sku}' for model '{model} {version}' is not supported "
                    f"by the emulator; use one of {', '.join(supported)}.", target="sku.name")
