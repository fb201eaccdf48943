"""Expected failures from Azure, Entra, Kubernetes and OpenAI -> a short explanation + what to do.

`explain(exc)` never returns a stack trace and never echoes a credential; `KeylessError` is the
one exception type the runbook raises for expected failures (the notebooks catch it in-cell).
"""
from __future__ import annotations

import json
import re
from typing import Any

_SECRETISH = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*")


class KeylessError(Exception):
    """An expected failure: what happened (`message`), what to do (`hint`), a stable `code`."""

    def __init__(self, message: str, hint: str = "", code: str = "", status: int | None = None):
        self.message, self.hint, self.code, self.status = scrub(message), hint, code, status
        super().__init__(self.message + (f"\nWhat to do: {hint}" if hint else ""))

    def __repr__(self) -> str:
        head = f"{self.code}: " if self.code else ""
        return f"{head}{self.message}" + (f"\n  what to do: {self.hint}" if self.hint else "")


def scrub(text: str) -> str:
    """Remove anything that looks like a JWT from a message."""
    return _SECRETISH.sub("<token removed>", str(text))


# Resource Manager error codes -> what to do next
_ARM_ADVICE: dict[str, str] = {
    "AuthorizationFailed": "the signed-in identity lacks this permission at this scope; ask an Owner or User Access "
                           "Administrator of the resource group to grant it (role assignments need "
                           "Microsoft.Authorization/roleAssignments/write), then sign in again",
    "ResourceGroupNotFound": "check the resource_group parameter and the subscription (az group list -o table)",
    "ResourceNotFound": "check the name parameter, the resource group and the subscription; run the earlier "
                        "notebooks first if this resource is created by the runbook",
    "ParentResourceNotFound": "the parent resource is missing; run the earlier notebooks first",
    "RoleAssignmentExists": "an equal role assignment already exists under another name; nothing to do",
    "PrincipalNotFound": "the new identity has not replicated yet; wait a minute and run the cell again",
    "QuotaExceeded": "a quota is exhausted in this subscription or region; free capacity or request more quota",
    "ResourceQuotaExceeded": "a quota is exhausted in this subscription or region; free capacity or request more "
                             "quota",
    "OperationNotAllowed": "another operation on the cluster is in progress; wait for it to finish and retry",
    "TooManyRequests": "Resource Manager is throttling this subscription; wait a little and run the cell again",
    "SubscriptionRequestsThrottled": "Resource Manager is throttling this subscription; wait and retry",
    "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity":
        "federated credentials of one identity must be written one at a time; retry in a few seconds",
    "InvalidResourceName": "the name breaks the service's naming rule; choose another name",
    "SubscriptionNotFound": "check the subscription parameter (az account list -o table)",
    "InsufficientQuota": "the subscription's quota for this model and SKU in this region is used up: lower "
                         "deployment_capacity, free capacity from another deployment of the model, try another "
                         "deployment_sku or location, or request more quota (https://aka.ms/oai/quotaincrease)",
    "DeploymentModelNotSupported": "this model and version cannot be deployed on this account in this region: check "
                                   "model_name and model_version against the models available in the region (az "
                                   "cognitiveservices account list-models), or choose another location",
    "FlagMustBeSetForRestore": "an Azure OpenAI account of this name was deleted and is kept for 48 hours: purge it "
                               "(az cognitiveservices account purge, or the teardown notebook) or choose another "
                               "openai_account name",
    "CustomDomainInUse": "the custom subdomain is taken (it is globally unique; a deleted account keeps it until "
                         "purged): purge the deleted account or choose another openai_account name",
    "InvalidAuthenticationToken": "the token is not valid for this cloud or tenant; sign in again (az login)",
    "ExpiredAuthenticationToken": "the sign-in expired; sign in again (az login)",
}

# AADSTS codes -> what to do next
_AADSTS_ADVICE: dict[str, str] = {
    "70021": "no federated credential matches the token's issuer/subject/audience: compare the federated "
             "credential's issuer with the cluster's OIDC issuer URL and its subject with "
             "system:serviceaccount:<namespace>:<service account> (notebook 03)",
    "700016": "the client id is not known in this tenant; check the identity's client id on the ServiceAccount",
    "7000215": "the client secret is wrong; sign in again with the right credential",
    "7000222": "the client secret has expired; create a new one or sign in another way",
    "90002": "the tenant does not exist; check the tenant id",
    "700024": "the service account token is outside its validity window; the pod's projected token may be stale",
    "700211": "no federated credential names this token's issuer; the credential's issuer must equal the cluster's "
              "OIDC issuer URL exactly, including the trailing slash",
    "700212": "no federated credential of this issuer and subject lists the token's audience; the audience must be "
              "api://AzureADTokenExchange",
    "700213": "no federated credential names this token's subject; check the namespace and ServiceAccount name",
    "7002138": "the token's subject matches a federated credential only when case is ignored; Entra compares it "
               "exactly: fix the case of the credential's subject",
    "50034": "the user or application does not exist in this tenant",
}

_K8S_ADVICE: dict[int, str] = {
    401: "the kubeconfig credential is not accepted; fetch it again (az aks get-credentials)",
    403: "the Kubernetes identity lacks RBAC permission for this call; use an account that can edit the namespace",
    404: "the object does not exist; check the namespace and names, or run the earlier notebooks first",
    409: "the object changed or already exists; run the cell again",
    422: "Kubernetes refused the object as invalid; check the names (DNS-1123) and values",
    429: "the API server is throttling; wait and retry",
}


def _json(text: Any) -> dict[str, Any]:
    try:
        data = json.loads(text) if isinstance(text, (str, bytes)) else None
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


RERUN_HINT = ("check the network (for the emulator: python -m keyless_emulator status), then run the cell again: "
              "every step reads what exists before it acts, so running it again is safe")
_TRANSPORT_CODE = "ConnectionError"


def _raw_cause(exc: BaseException) -> str:
    """The low-level cause in a few words ('IncompleteRead', 'ConnectionResetError'), never a whole repr."""
    text = scrub(str(exc))
    for needle in ("IncompleteRead", "RemoteDisconnected", "Connection reset", "Connection refused",
                   "Connection aborted", "timed out"):
        if needle.lower() in text.lower():
            return needle
    return type(exc).__name__


def _gave_up(exc: Any) -> KeylessError:
    """A transient failure that outlasted keyless.retry's bounds: the last failure explained, and how
    often it was tried."""
    inner = explain(exc.last)
    tries = f"still failing after {exc.attempts} attempts"
    if inner.code == _TRANSPORT_CODE:
        return KeylessError(f"{exc.what}: {inner.message}, {tries}", RERUN_HINT, code=_TRANSPORT_CODE)
    hint = inner.hint if inner.hint and inner.hint != "see the message" else RERUN_HINT
    return KeylessError(f"{inner.message} ({exc.what}, {tries})", hint, code=inner.code, status=inner.status)


def is_kubernetes_error(exc: BaseException) -> bool:
    return (type(exc).__module__ or "").startswith("kubernetes") and hasattr(exc, "status") and hasattr(exc, "body")


def explain(exc: BaseException) -> KeylessError:
    """Turn an exception from the SDKs into a KeylessError (already-explained errors pass through)."""
    if isinstance(exc, KeylessError):
        return exc
    from .params import ParameterError

    if isinstance(exc, ParameterError):
        return KeylessError(str(exc), "fix the value in the parameters cell, the -f file or the -p option",
                            code="InvalidParameter")
    from . import retry

    if isinstance(exc, retry.GaveUp):
        return _gave_up(exc)
    name = type(exc).__name__
    module = type(exc).__module__ or ""
    transport = retry.transport_reason(exc, deep=False)
    if transport is not None:
        return KeylessError(f"{transport.reason} ({_raw_cause(exc)})", RERUN_HINT, code=_TRANSPORT_CODE)

    # azure-core / azure-identity
    if module.startswith("azure."):
        return _explain_azure(exc)
    # kubernetes client
    if is_kubernetes_error(exc):
        status = getattr(exc, "status", None) or 0
        body = _json(getattr(exc, "body", None))
        reason = body.get("reason") or getattr(exc, "reason", "") or ""
        message = body.get("message") or str(getattr(exc, "reason", exc))
        advice = _K8S_ADVICE.get(status, "check the cluster and retry")
        if status == 403 and "does not have access to the resource in Azure" in message:  # Azure RBAC for Kubernetes
            advice = ("the signed-in identity lacks an Azure RBAC for Kubernetes role here; ask for Azure Kubernetes "
                      "Service RBAC Writer on the namespace (az role assignment create --role \"Azure Kubernetes "
                      "Service RBAC Writer\" --assignee <you> --scope <cluster id>/namespaces/<namespace>)")
        return KeylessError(f"Kubernetes answered {status} {reason}: {message}", advice,
                            code=f"Kubernetes{reason or status}",
                            status=status)
    # openai
    if module.startswith("openai"):
        status = getattr(exc, "status_code", None)
        api_body: Any = getattr(exc, "body", None)
        code = (api_body or {}).get("code") if isinstance(api_body, dict) else None
        if name == "APIConnectionError":
            cause = exc.__cause__
            return KeylessError(f"cannot reach Azure OpenAI ({cause or exc})",
                                "check the endpoint and, for the emulator, that it is running", code="ConnectionError")
        hint = {"PermissionDenied": "the identity lacks 'Cognitive Services OpenAI User' on the account (notebook 03) "
                                    "or the role has not propagated yet",
                "DeploymentNotFound": "check the openai_deployment parameter",
                "AuthenticationTypeDisabled": "key authentication is disabled: use Microsoft Entra ID"}.get(
            str(code), "see the message")
        return KeylessError(scrub(str(exc)), hint, code=str(code or name), status=status)
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return KeylessError(f"cannot connect: {exc}", "check the network or that the emulator is running",
                            code="ConnectionError")
    return KeylessError(f"{name}: {exc}", "this was not expected; see the log for details", code=name)


def _explain_azure(exc: BaseException) -> KeylessError:
    name = type(exc).__name__
    text = str(exc)
    aadsts = re.search(r"AADSTS(\d+)", text)
    if aadsts:
        first = next((line for line in text.splitlines() if "AADSTS" in line), text)
        first = re.sub(r"\s*Content:.*$", "", first)
        return KeylessError(first.strip(), _AADSTS_ADVICE.get(aadsts.group(1), "check the sign-in settings"),
                            code=f"AADSTS{aadsts.group(1)}", status=getattr(exc, "status_code", None))
    if name == "ServiceRequestError":
        return KeylessError(f"cannot reach the service: {text.splitlines()[0]}",
                            "check the network; for the emulator check it is running (python -m keyless_emulator "
                            "status)", code="ConnectionError")
    if name == "ClientAuthenticationError" and getattr(exc, "status_code", None) is None:
        return KeylessError(f"sign-in failed: {text.splitlines()[0]}",
                            "sign in with az login (Azure) or restart the emulator, then run the cell again",
                            code="AuthenticationFailed")
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) or ""
    message = getattr(error, "message", None) or (getattr(exc, "message", None) or text).splitlines()[0]
    status = getattr(exc, "status_code", None)
    hint = _ARM_ADVICE.get(code, "")
    if not hint and status == 429:
        code, hint = code or "TooManyRequests", _ARM_ADVICE["TooManyRequests"]
    if not hint and status == 404:
        hint = _ARM_ADVICE["ResourceNotFound"]
    if not hint and status == 403:
        hint = _ARM_ADVICE["AuthorizationFailed"]
    return KeylessError(f"({code or status}) {message}", hint or "see the message", code=code or name, status=status)
