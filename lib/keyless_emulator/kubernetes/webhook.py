"""The Azure Workload Identity mutating webhook, as AKS runs it (azure-workload-identity v1.5).

`mutate_pod` is the mutation itself, a pure function over a Pod and its ServiceAccount (plain
dicts in Kubernetes JSON shape); `WorkloadIdentityWebhook` decides whether a pod is sent to it
at all (the webhook configuration's objectSelector and the cluster's workload identity switch)
and is what the API server calls on pod CREATE.

Selection (MutatingWebhookConfiguration `azure-wi-webhook-mutating-webhook-configuration`):
Pod CREATE only, objectSelector `azure.workload.identity/use: "true"` (exactly that string), and
only when the cluster's `securityProfile.workloadIdentity.enabled` is on (the add-on is not
installed otherwise).

Mutation, for every container and init container not listed in the pod's skip-containers
annotation: append AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE and
AZURE_AUTHORITY_HOST unless the container already defines that name or the value is empty; add
the read-only mount `azure-identity-token` at /var/run/secrets/azure/tokens unless a mount of
that name exists; add the projected serviceAccountToken volume (path `azure-identity-token`,
audience `api://AzureADTokenExchange`, expirationSeconds from the pod's then the ServiceAccount's
annotation, default 3600, allowed 3600..86400) unless a projected token source with that path
already exists.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .plain import clone

USE_LABEL = "azure.workload.identity/use"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
TENANT_ID_ANNOTATION = "azure.workload.identity/tenant-id"
TOKEN_EXPIRATION_ANNOTATION = "azure.workload.identity/service-account-token-expiration"
SKIP_CONTAINERS_ANNOTATION = "azure.workload.identity/skip-containers"

WEBHOOK_NAME = "mutation.azure-workload-identity.io"
TOKEN_VOLUME = "azure-identity-token"
TOKEN_FILE_NAME = "azure-identity-token"
TOKEN_MOUNT_PATH = "/var/run/secrets/azure/tokens"
TOKEN_FILE = f"{TOKEN_MOUNT_PATH}/{TOKEN_FILE_NAME}"
AUDIENCE = "api://AzureADTokenExchange"
MIN_EXPIRATION, MAX_EXPIRATION, DEFAULT_EXPIRATION = 3600, 86400, 3600

_GO_INT = re.compile(r"^[+-]?[0-9]+$")


class AdmissionDenied(Exception):
    """The webhook refused the pod; `message` is what the webhook itself says, `status` its HTTP code."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status

    @property
    def api_message(self) -> str:
        """How the API server words a webhook denial to the client (and in FailedCreate events)."""
        return f'admission webhook "{WEBHOOK_NAME}" denied the request: {self.message}'


@dataclass(frozen=True)
class WebhookConfig:
    """What the webhook deployment is configured with on a cluster."""

    tenant_id: str
    authority_host: str  # AZURE_AUTHORITY_HOST as injected, e.g. "https://login.microsoftonline.com/"
    audience: str = AUDIENCE


def selects(pod: dict[str, Any]) -> bool:
    """The webhook configuration's objectSelector: the pod label must be exactly "true"."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return labels.get(USE_LABEL) == "true"


def _parse_go_int(value: str) -> int:
    """strconv.ParseInt(value, 10, 64), with Go's error text."""
    if not _GO_INT.match(value):
        raise AdmissionDenied(f'strconv.ParseInt: parsing "{value}": invalid syntax')
    number = int(value)
    if not -(2 ** 63) <= number < 2 ** 63:
        raise AdmissionDenied(f'strconv.ParseInt: parsing "{value}": value out of range')
    return number


def token_expiration(pod: dict[str, Any], service_account: dict[str, Any]) -> int:
    """expirationSeconds: the pod's annotation, else the ServiceAccount's, else 3600; validated."""
    pod_value = ((pod.get("metadata") or {}).get("annotations") or {}).get(TOKEN_EXPIRATION_ANNOTATION) or ""
    sa_value = ((service_account.get("metadata") or {}).get("annotations") or {}).get(TOKEN_EXPIRATION_ANNOTATION) or ""
    expiration = DEFAULT_EXPIRATION
    if pod_value:
        expiration = _parse_go_int(pod_value)
    elif sa_value:
        expiration = _parse_go_int(sa_value)
    if not MIN_EXPIRATION <= expiration <= MAX_EXPIRATION:
        raise AdmissionDenied(f"token expiration {expiration} not valid. Expected value to be between "
                              f"{MIN_EXPIRATION} and {MAX_EXPIRATION}")
    return expiration


def skip_containers(pod: dict[str, Any]) -> set[str]:
    """Container names listed (semicolon-separated, spaces trimmed) in the skip-containers annotation."""
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(SKIP_CONTAINERS_ANNOTATION) or ""
    return {name.strip() for name in value.split(";")} if value else set()


def _client_id(service_account: dict[str, Any]) -> str:
    return ((service_account.get("metadata") or {}).get("annotations") or {}).get(CLIENT_ID_ANNOTATION) or ""


def _tenant_id(service_account: dict[str, Any], config: WebhookConfig) -> str:
    annotations = (service_account.get("metadata") or {}).get("annotations") or {}
    if TENANT_ID_ANNOTATION in annotations:  # present, even empty, wins (as in the webhook)
        return annotations[TENANT_ID_ANNOTATION] or ""
    return config.tenant_id


def _mutate_container(container: dict[str, Any], desired: list[tuple[str, str]]) -> None:
    env = container.setdefault("env", [])
    present = {e.get("name") for e in env}
    for name, value in desired:
        if name not in present and value:
            env.append({"name": name, "value": value})
    mounts = container.setdefault("volumeMounts", [])
    if not any(m.get("name") == TOKEN_VOLUME for m in mounts):
        mounts.append({"name": TOKEN_VOLUME, "mountPath": TOKEN_MOUNT_PATH, "readOnly": True})


def _has_token_volume(pod: dict[str, Any]) -> bool:
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        for source in (volume.get("projected") or {}).get("sources") or []:
            if (source.get("serviceAccountToken") or {}).get("path") == TOKEN_FILE_NAME:
                return True
    return False


def mutate_pod(pod: dict[str, Any], service_account: dict[str, Any], config: WebhookConfig) -> dict[str, Any]:
    """The mutated copy of `pod` (raises AdmissionDenied on an invalid expiration annotation)."""
    out = clone(pod)
    spec = out.setdefault("spec", {})
    expiration = token_expiration(out, service_account)
    desired = [("AZURE_CLIENT_ID", _client_id(service_account)),
               ("AZURE_TENANT_ID", _tenant_id(service_account, config)),
               ("AZURE_FEDERATED_TOKEN_FILE", TOKEN_FILE),
               ("AZURE_AUTHORITY_HOST", config.authority_host)]
    skipped = skip_containers(out)
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            if container.get("name") not in skipped:
                _mutate_container(container, desired)
    if not _has_token_volume(out):
        spec.setdefault("volumes", []).append({
            "name": TOKEN_VOLUME,
            "projected": {"sources": [{"serviceAccountToken": {
                "path": TOKEN_FILE_NAME, "expirationSeconds": expiration, "audience": config.audience}}]},
        })
    return out


class WorkloadIdentityWebhook:
    """The webhook as an admission step of one cluster's API server (pod CREATE).

    `enabled()` reads the cluster's workload identity switch at admission time;
    `service_account(namespace, name)` returns the ServiceAccount dict or None.
    """

    def __init__(self, enabled, config, service_account):
        self._enabled = enabled
        self._config = config
        self._service_account = service_account

    def admit(self, pod: dict[str, Any], namespace: str) -> dict[str, Any]:
        if not self._enabled() or not selects(pod):
            return pod
        name = (pod.get("spec") or {}).get("serviceAccountName") or "default"
        sa = self._service_account(namespace, name)
        if sa is None:
            raise AdmissionDenied(f'serviceaccounts "{name}" not found')
        return mutate_pod(pod, sa, self._config())


def admission_plugin(request) -> dict[str, Any]:
    """The webhook registered on the API server (`admission.AdmissionPlugin`): pod CREATE only.

    AZURE_TENANT_ID defaults to the cluster's tenant; AZURE_AUTHORITY_HOST is the emulator's
    Entra authority with a trailing slash, as AKS injects `https://login.microsoftonline.com/`.
    """
    if request.operation != "CREATE" or request.resource != "pods":
        return request.object
    cluster = request.cluster
    hook = WorkloadIdentityWebhook(
        lambda: cluster.workload_identity_enabled,
        lambda: WebhookConfig(tenant_id=cluster.tenant_id, authority_host=cluster.base_url.rstrip("/") + "/"),
        lambda namespace, name: request.store.find("serviceaccounts", namespace, name))
    return hook.admit(request.object, request.namespace)
