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

from . import retry
from .errors import KeylessError, explain

# the credential that answered (keyless.signin) -> the kubelogin login mode that signs in the same way
LOGIN_OF = {"EnvironmentCredential": "spn", "WorkloadIdentityCredential": "workloadidentity",
            "AzureCliCredential": "azurecli"}
REFRESH_MARGIN = 300  # seconds before expiry a new Entra token is fetched


def _api_client_class() -> Any:
    """`RetryingApiClient`, defined on first use so importing keyless does not import kubernetes."""
    global _RETRYING
    if _RETRYING is None:
        from kubernetes.client import ApiClient
        from kubernetes.client.exceptions import ApiException

        class RetryingApiClient(ApiClient):
            """Every Kubernetes call through `keyless.retry`: 429 (Retry-After), 5xx and dropped
            connections are retried. The body is read inside the retry, so an answer cut off
            mid-body counts as a transport failure. A create (POST of a named object) or a replace
            (PUT at a resourceVersion) whose answer was lost is read back before it is sent again:
            sent twice, the create would meet 409 AlreadyExists and the replace 409 Conflict. So is
            a delete: sent again it would meet 404 and the caller would take the object for one
            that was never there; read back as gone, it answers as the API server does.
            Watches and followed logs stream: here only their opening is retried; a stream cut
            later is the caller's to reopen."""

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
                    meta = ((body or {}).get("metadata") or {}) if isinstance(body, dict) else {}
                    if method == "POST" and meta.get("name"):  # a create: is the object there now?
                        where = f"{url.partition('?')[0]}/{meta['name']}"
                    elif method == "PUT" and meta.get("resourceVersion"):  # a replace: does it hold the body?
                        where = url.partition("?")[0]
                    elif method == "DELETE":  # a delete: is the object gone now?
                        where = url.partition("?")[0]
                    else:
                        return None  # a patch: sending it again changes nothing more
                    headers = {k: v for k, v in (header_params or {}).items() if k.lower() != "content-type"}
                    got = send("GET", where, headers, None, None, _request_timeout)
                    got.read()
                    if got.status in retry.RETRY_STATUSES:
                        raise ApiException.from_response(http_resp=got, body=None, data=None)
                    if method == "DELETE":
                        return deleted(where) if got.status == 404 else None
                    if got.status != 200:
                        return None
                    return got if method == "POST" or replaced(body, json.loads(got.data or b"{}")) else None

                path = url.partition("//")[2].partition("/")[2].partition("?")[0]
                return retry.call(act, what=f"Kubernetes {method} /{path}", landed=landed)

        _RETRYING = RetryingApiClient
    return _RETRYING


_RETRYING: Any = None


def deleted(path: str) -> Any:
    """The answer a delete whose own answer was lost stands for, once a read shows the object gone:
    the API server's `Status` of a successful delete (`kind: Status`, `status: Success`, the
    object's name and resource in `details`). The API server answers some deletes with that Status
    and others with the deleted object; the object cannot be read back any more, so the Status it is."""
    import urllib3
    from kubernetes.client.rest import RESTResponse

    resource, _, name = path.rstrip("/").rpartition("/")
    status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
              "details": {"name": name, "kind": resource.rpartition("/")[2]}}
    answer = RESTResponse(urllib3.HTTPResponse(body=json.dumps(status).encode(), status=200, reason="OK",
                                               headers={"Content-Type": "application/json"}, preload_content=True))
    answer.read()
    return answer


def holds(current: Any, sent: Any) -> bool:
    """Whether `current` (an object as the API server answers it) holds every value `sent` set: the
    server adds defaults (a container's terminationMessagePath, a port's protocol) but drops nothing."""
    if sent is None:
        return True
    if isinstance(sent, dict):
        return isinstance(current, dict) and all(holds(current.get(k), v) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(current, list) and len(current) == len(sent) and all(
            holds(c, v) for c, v in zip(current, sent, strict=True))
    return bool(current == sent)


# Annotations a controller owns and rewrites right after a write lands, whatever the write said: the
# Deployment controller numbers a template it has not run before (a restored Deployment whose key was
# regenerated since) with the next revision.
CONTROLLER_ANNOTATIONS = frozenset({"deployment.kubernetes.io/revision"})


def replaced(sent: dict[str, Any], current: dict[str, Any]) -> bool:
    """A replace (PUT with the resourceVersion it was read at) whose answer was lost took effect when
    the object has moved on from that version and now holds the labels, annotations (those a
    controller owns aside) and spec sent. Otherwise it did not land (same version) or someone else's
    write did: sending it again then meets the API server's 409, the conflict it is."""
    meta, now = sent.get("metadata") or {}, current.get("metadata") or {}
    if now.get("resourceVersion") == meta.get("resourceVersion"):
        return False
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in CONTROLLER_ANNOTATIONS}
    return holds(now.get("labels") or {}, meta.get("labels")) and holds(
        now.get("annotations") or {}, annotations) and holds(current.get("spec"), sent.get("spec"))


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
    from . import kubelogin  # not at import time: `python -m keyless.kubelogin` must be the first to load it

    args = [str(a) for a in (user.get("exec") or {}).get("args") or []]
    return args[args.index("--server-id") + 1] if "--server-id" in args[:-1] else kubelogin.AKS_SERVER_ID


def _client_from(data: dict[str, Any]) -> Any:
    """A retrying client (every call through keyless.retry) for a kubeconfig held in memory."""
    from kubernetes import client as k8s
    from kubernetes import config

    configuration = type.__call__(k8s.Configuration)  # a fresh one, not a copy of the process default
    config.load_kube_config_from_dict(data, client_configuration=configuration)
    return _api_client_class()(configuration=configuration)


def _entra_client(clients: Any, data: dict[str, Any], server_id: str) -> Any:
    """A client whose bearer token comes from the runbook's credential, renewed before it expires."""
    import time


    scope = f"{server_id}/.default"
    token = clients.credential.get_token(scope)
    with_token = dict(data, users=[{"name": u.get("name"), "user": {"token": token.token}}
                                   for u in data.get("users") or []])
    api_client = _client_from(with_token)
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
    entra_users = [u.get("user") or {} for u in data.get("users") or [] if "exec" in (u.get("user") or {})]
    if entra_users:
        api_client = _entra_client(clients, data, _server_id(entra_users[0]))
        learner = yaml.safe_load(text)
        from . import kubelogin

        kubelogin.convert(learner, LOGIN_OF.get(getattr(clients.credential, "used", ""), "azurecli"))
        text = yaml.safe_dump(learner, sort_keys=False)
    else:
        api_client = _client_from(data)
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
