"""The Kubernetes side: a client from the cluster's user kubeconfig, and two small wire helpers.

The kubeconfig comes from Resource Manager (`listClusterUserCredential`, what `az aks
get-credentials` calls); its `certificate-authority-data` is how the client trusts the API
server on either target. It is also written (mode 0600) to the data folder so a learner can
run the `kubectl` equivalents: `kubectl --kubeconfig <data folder>/kubeconfig-<cluster> ...`.

A cluster with Microsoft Entra integration hands out a kubeconfig whose user runs kubelogin (an
exec plugin) instead of carrying a credential. The runbook then needs no kubelogin: it asks the
same azure-identity credential it uses for Resource Manager for a token for the AKS server
application (`<server-id>/.default`, the id the kubeconfig names) and sends that, fetching a new one
before it expires. The kubeconfig written for the learner runs `python -m keyless.kubelogin` with the
login mode of that credential (the real kubelogin's `convert-kubeconfig -l azurecli` works as well).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import kubelogin
from .errors import KeylessError, explain

# the credential that answered (keyless.signin) -> the kubelogin login mode that signs in the same way
LOGIN_OF = {"EnvironmentCredential": "spn", "WorkloadIdentityCredential": "workloadidentity",
            "AzureCliCredential": "azurecli"}
REFRESH_MARGIN = 300  # seconds before expiry a new Entra token is fetched


@dataclass
class Kube:
    api_client: Any
    kubeconfig_path: Path
    cluster: str
    entra: bool = False  # signs in with Microsoft Entra (the cluster's kubeconfig runs kubelogin)

    @property
    def core(self) -> Any:
        from kubernetes import client
        return client.CoreV1Api(self.api_client)

    @property
    def apps(self) -> Any:
        from kubernetes import client
        return client.AppsV1Api(self.api_client)

    def raw(self, method: str, path: str, body: Any = None, timeout: float = 30.0,
            content_type: str = "application/json") -> tuple[int, Any]:
        """A request the generated API does not offer (service proxy); returns (status, parsed body)."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        method_, url, headers, body_, _ = self.api_client.param_serialize(
            method=method, resource_path=path, header_params=headers, body=body, auth_settings=["BearerToken"])
        response = self.api_client.call_api(method_, url, header_params=headers, body=body_,
                                            _request_timeout=timeout)
        raw = response.read() if hasattr(response, "read") else response.data
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else (raw or "")
        try:
            parsed: Any = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return response.status, parsed

    def may(self, verb: str, resource: str, namespace: str, group: str = "") -> tuple[bool, str]:
        """Whether the caller may `verb` `resource` in `namespace` (a SelfSubjectAccessReview), and the reason."""
        from kubernetes import client

        review = client.AuthorizationV1Api(self.api_client).create_self_subject_access_review(
            client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
                resource_attributes=client.V1ResourceAttributes(verb=verb, group=group, resource=resource,
                                                                namespace=namespace))))
        status = review.status
        return (bool(status.allowed), str(status.reason or "")) if status is not None else (False, "")

    def username(self) -> str:
        """Who the API server takes the caller for (a SelfSubjectReview: kubectl auth whoami)."""
        from kubernetes import client

        review = client.AuthenticationV1Api(self.api_client).create_self_subject_review(
            client.V1SelfSubjectReview(api_version="authentication.k8s.io/v1", kind="SelfSubjectReview"))
        info = review.status.user_info if review.status is not None else None
        return str(info.username or "") if info is not None else ""


def _server_id(user: dict[str, Any]) -> str:
    args = [str(a) for a in (user.get("exec") or {}).get("args") or []]
    return args[args.index("--server-id") + 1] if "--server-id" in args[:-1] else kubelogin.AKS_SERVER_ID


def _entra_client(clients: Any, data: dict[str, Any], server_id: str) -> Any:
    """A client whose bearer token comes from the runbook's credential, renewed before it expires."""
    import time

    from kubernetes import config

    scope = f"{server_id}/.default"
    token = clients.credential.get_token(scope)
    with_token = dict(data, users=[{"name": u.get("name"), "user": {"token": token.token}}
                                   for u in data.get("users") or []])
    api_client = config.new_client_from_config_dict(with_token)
    expires = [token.expires_on]

    def refresh(configuration: Any) -> None:
        if time.time() < expires[0] - REFRESH_MARGIN:
            return
        renewed = clients.credential.get_token(scope)
        expires[0] = renewed.expires_on
        configuration.api_key["authorization"] = f"Bearer {renewed.token}"

    api_client.configuration.refresh_api_key_hook = refresh
    return api_client


def connect(clients: Any, resource_group: str, cluster: str, home: Path) -> Kube:
    """A Kubernetes client for the cluster (cached on `clients`)."""
    key = f"{resource_group}/{cluster}".lower()
    if key in clients._kube:
        cached: Kube = clients._kube[key]
        return cached
    from kubernetes import config

    try:
        creds = clients.aks.managed_clusters.list_cluster_user_credentials(resource_group, cluster)
    except Exception as e:  # noqa: BLE001
        raise explain(e) from None
    if not creds.kubeconfigs:
        raise KeylessError(f"the cluster {cluster} handed out no kubeconfig", "check the cluster in the portal",
                           code="NoKubeconfig")
    raw = creds.kubeconfigs[0].value
    text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else str(raw)
    data = yaml.safe_load(text)
    entra_users = [u.get("user") or {} for u in data.get("users") or [] if "exec" in (u.get("user") or {})]
    if entra_users:
        api_client = _entra_client(clients, data, _server_id(entra_users[0]))
        learner = yaml.safe_load(text)
        kubelogin.convert(learner, LOGIN_OF.get(getattr(clients.credential, "used", ""), "azurecli"))
        text = yaml.safe_dump(learner, sort_keys=False)
    else:
        api_client = config.new_client_from_config_dict(data)
    path = Path(home) / f"kubeconfig-{cluster}"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    kube = Kube(api_client, path, cluster, entra=bool(entra_users))
    clients._kube[key] = kube
    return kube


def forget(clients: Any, resource_group: str) -> None:
    """Drop the cached clients of a resource group's clusters (they were deleted with it: a cluster
    created again under the same name has a new API server and credential)."""
    prefix = f"{resource_group}/".lower()
    for key in [k for k in clients._kube if k.startswith(prefix)]:
        clients._kube.pop(key)
