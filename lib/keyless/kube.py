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

from . import retry
from .errors import KeylessError, explain


def _api_client_class() -> Any:
    """`RetryingApiClient`, defined on first use so importing keyless does not import kubernetes."""
    global _RETRYING
    if _RETRYING is None:
        from kubernetes.client import ApiClient
        from kubernetes.client.exceptions import ApiException

        class RetryingApiClient(ApiClient):
            """Every Kubernetes call through `keyless.retry`: 429 (Retry-After), 5xx and dropped
            connections are retried. The body is read inside the retry, so an answer cut off
            mid-body counts as a transport failure. A create (POST of a named object) whose answer
            was lost is read back before it is sent again. Watches and followed logs stream: here
            only their opening is retried; a stream cut later is the caller's to reopen."""

            def call_api_once(self, *args: Any, **kwargs: Any) -> Any:
                """One send, no retry: for a caller whose own loop reads every answer (Kube.raw)."""
                return super().call_api(*args, **kwargs)

            def call_api(self, method: str, url: str, header_params: Any = None, body: Any = None,
                         post_params: Any = None, _request_timeout: Any = None) -> Any:
                query = url.partition("?")[2].lower()
                streams = "watch=true" in query or "follow=true" in query
                send = super().call_api

                def act() -> Any:
                    response = send(method, url, header_params, body, post_params, _request_timeout)
                    if streams and response.status not in retry.RETRY_STATUSES:
                        return response  # the caller reads the stream as it comes
                    response.read()
                    if response.status in retry.RETRY_STATUSES:
                        raise ApiException.from_response(http_resp=response, body=bytes(response.data or b"").decode(
                            "utf-8", "replace"), data=None)
                    return response

                def landed() -> Any:
                    name = ((body or {}).get("metadata") or {}).get("name") if isinstance(body, dict) else None
                    if method != "POST" or not name:
                        return None
                    headers = {k: v for k, v in (header_params or {}).items() if k.lower() != "content-type"}
                    got = send("GET", f"{url.partition('?')[0]}/{name}", headers, None, None, _request_timeout)
                    got.read()
                    if got.status in retry.RETRY_STATUSES:
                        raise ApiException.from_response(http_resp=got, body=None, data=None)
                    return got if got.status == 200 else None

                path = url.partition("//")[2].partition("/")[2].partition("?")[0]
                return retry.call(act, what=f"Kubernetes {method} /{path}", landed=landed)

        _RETRYING = RetryingApiClient
    return _RETRYING


_RETRYING: Any = None


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
        """A request the generated API does not offer (service proxy); returns (status, parsed body).
        Sent once: the caller reads every status itself (verify waits for propagation with its own
        deadline), so keyless.retry stays out of the way."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        method_, url, headers, body_, _ = self.api_client.param_serialize(
            method=method, resource_path=path, header_params=headers, body=body, auth_settings=["BearerToken"])
        once = getattr(self.api_client, "call_api_once", self.api_client.call_api)
        response = once(method_, url, header_params=headers, body=body_, _request_timeout=timeout)
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

    try:  # a POST action: azure-core does not retry it, keyless.retry does (it changes nothing)
        creds = retry.call(lambda: clients.aks.managed_clusters.list_cluster_user_credentials(resource_group, cluster),
                           what=f"listClusterUserCredential on {cluster}")
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
    from kubernetes import client as k8s

    configuration = type.__call__(k8s.Configuration)  # a fresh one, not a copy of the process default
    config.load_kube_config_from_dict(data, client_configuration=configuration)
    api_client = _api_client_class()(configuration=configuration)
    kube = Kube(api_client, path, cluster)
    clients._kube[key] = kube
    return kube
