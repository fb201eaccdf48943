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
