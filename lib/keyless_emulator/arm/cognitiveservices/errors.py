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


def flag_must_be_set_for_restore(account_id: str) -> ArmError:
    """Creating an account whose name is held by a soft-deleted one (text as Azure answers it, quoted in
    Azure/azure-cli#18146)."""
    return ArmError(409, "FlagMustBeSetForRestore",
                    f"An existing resource with ID '{account_id}' has been soft-deleted. To restore the resource, "
                    "you must specify 'restore' to be 'true' in the property. If you don't want to restore existing "
                    "resource, please purge it first.")


def deleted_account_not_found(name: str, location: str, group: str) -> ArmError:
    """No public source quotes this answer; the code is Resource Manager's for a missing resource and the
    message names what was looked for."""
    return ArmError(404, "ResourceNotFound",
                    f"The deleted account '{name}' in location '{location}' and resource group '{group}' was not "
                    "found. It was never deleted, has already been purged, or its retention period has ended.")


def insufficient_quota(requested: int, usage_name: str, used: int, limit: int) -> ArmError:
    """A deployment whose capacity does not fit the subscription's regional quota for the model and SKU
    (text as Azure answers it, quoted in microsoft/PubSec-Info-Assistant#880)."""
    available = max(0, limit - used)
    return ArmError(400, "InsufficientQuota",
                    f"This operation require {requested} new capacity in quota {usage_name}, which is bigger than the "
                    f"current available capacity {available}. The current quota usage is {used} and the quota limit "
                    f"is {limit} for quota {usage_name}.")
