"""The Kubernetes side: a client from the cluster's user kubeconfig, and two small wire helpers.

The kubeconfig comes from Resource Manager (`listClusterUserCredential`, what `az aks
get-credentials` calls); its `certificate-authority-data` is how the client trusts the API
server on either target. It is also written (mode 0600) to the data folder so a learner can
run the `kubectl` equivalents: `kubectl --kubeconfig <data folder>/kubeconfig-<cluster> ...`.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import KeylessError, explain


@dataclass
class Kube:
    api_client: Any
    kubeconfig_path: Path
    cluster: str

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
    for user in data.get("users") or []:
        if "exec" in (user.get("user") or {}):
            raise KeylessError(f"the cluster {cluster} uses Microsoft Entra integration for kubectl (kubelogin)",
                               "install kubelogin and run `kubelogin convert-kubeconfig -l azurecli`; this runbook "
                               "needs a cluster whose user kubeconfig carries its own credential", code="Kubelogin")
    path = Path(home) / f"kubeconfig-{cluster}"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    api_client = config.new_client_from_config_dict(data)
    kube = Kube(api_client, path, cluster)
    clients._kube[key] = kube
    return kube


def forget(clients: Any, resource_group: str) -> None:
    """Drop the cached clients of a resource group's clusters (they were deleted with it: a cluster
    created again under the same name has a new API server and credential)."""
    prefix = f"{resource_group}/".lower()
    for key in [k for k in clients._kube if k.startswith(prefix)]:
        clients._kube.pop(key)
