"""The errors AKS answers with (beyond ARM's generic ones in arm/errors.py).

Codes and messages follow what the real service was observed to return (the Microsoft.ContainerService
REST spec and its examples, error bodies quoted in Azure SDK and CLI issues); where the real text is not
confirmed the code is the one AKS uses for that class of error and the message names the property and
the rule.
"""
from __future__ import annotations

from ..errors import ArmError

PENDING_OPERATION_HINT = "Please wait for it to finish before starting a new operation."


def operation_in_progress(kind: str, operation_id: str, started: str) -> ArmError:
    """409 OperationNotAllowed, worded like AKS (2026): a mutating call during another operation."""
    return ArmError(409, "OperationNotAllowed",
                    f"Operation is not allowed because there's an in progress {kind} managed cluster operation "
                    f"(operation ID: {operation_id}) on the managed cluster started on UTC {started}. "
                    f"{PENDING_OPERATION_HINT} You can also use 'az aks operation-abort ...' to abort the ongoing "
                    "operation.")


def oidc_cannot_be_disabled() -> ArmError:
    return ArmError(400, "BadRequest", "OIDC issuer feature cannot be disabled.",
                    target="properties.oidcIssuerProfile.enabled")


def workload_identity_needs_oidc() -> ArmError:
    return ArmError(400, "InvalidParameter",
                    "Enabling workload identity (properties.securityProfile.workloadIdentity.enabled) requires the "
                    "OIDC issuer to be enabled (properties.oidcIssuerProfile.enabled = true) in the same request or "
                    "already on the cluster.",
                    target="properties.securityProfile.workloadIdentity.enabled")


def invalid_parameter(target: str, message: str) -> ArmError:
    return ArmError(400, "InvalidParameter", message, target=target)


def property_change_not_allowed(prop: str) -> ArmError:
    return ArmError(400, "PropertyChangeNotAllowed", f"Changing property '{prop}' is not allowed.", target=prop)


def version_not_supported(version: str, supported: str) -> ArmError:
    return ArmError(400, "K8sVersionNotSupported",
                    f"Version {version} is not supported in this region. The emulator runs Kubernetes {supported}; "
                    "use that version, its minor version, or leave kubernetesVersion empty.",
                    target="properties.kubernetesVersion")


def precondition_failed(etag: str | None) -> ArmError:
    return ArmError(412, "PreconditionFailed",
                    f"The eTag in the If-Match header does not match the current eTag '{etag}' of the managed cluster."
                    if etag else "The managed cluster does not exist, so the If-Match precondition cannot hold.")


def already_exists() -> ArmError:
    return ArmError(412, "PreconditionFailed",
                    "The managed cluster already exists and the request has If-None-Match: *.")


def local_accounts_disabled() -> ArmError:
    """listClusterAdminCredential on a cluster with disableLocalAccounts: AKS's text, as quoted in public
    Terraform and Bicep issue reports (400 BadRequest)."""
    return ArmError(400, "BadRequest",
                    "Getting static credential is not allowed because this cluster is set to disable local accounts.")


def local_accounts_need_aad() -> ArmError:
    """disableLocalAccounts on a cluster without AKS-managed Microsoft Entra integration. AKS refuses it;
    the code is AKS's class for a bad property, the wording is ours (no public source quotes the text)."""
    return ArmError(400, "BadRequest",
                    "Local accounts can only be disabled (properties.disableLocalAccounts = true) on a cluster with "
                    "AKS-managed Microsoft Entra integration (properties.aadProfile.managed = true).",
                    target="properties.disableLocalAccounts")


def azure_rbac_needs_managed_aad() -> ArmError:
    """enableAzureRBAC without managed Microsoft Entra integration; wording ours (no public source)."""
    return ArmError(400, "BadRequest",
                    "Azure RBAC for Kubernetes authorization (properties.aadProfile.enableAzureRBAC) requires "
                    "AKS-managed Microsoft Entra integration (properties.aadProfile.managed = true).",
                    target="properties.aadProfile.enableAzureRBAC")


def aad_cannot_be_disabled() -> ArmError:
    """AKS-managed Microsoft Entra integration cannot be turned off once on (documented: "can't be disabled");
    the code and wording are ours."""
    return ArmError(400, "BadRequest",
                    "AKS-managed Microsoft Entra integration cannot be disabled once enabled "
                    "(properties.aadProfile.managed).", target="properties.aadProfile.managed")


def invalid_credential_format(value: str) -> ArmError:
    """A `format` query value listClusterUserCredential does not know (the spec's enum: azure, exec);
    wording ours."""
    return ArmError(400, "InvalidParameter",
                    f"The value of parameter format '{value}' is invalid. Allowed values are 'azure' and 'exec'.",
                    target="format")
