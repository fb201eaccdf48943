"""What ties a managed cluster (a Resource Manager document) to what the emulator serves for it.

Each cluster gets, at creation, two stable identifiers kept in its private meta:
- `issuer_id`: the GUID in its OIDC issuer URL,
  `{base}/oidc/{location}/{tenantId}/{issuer_id}/` (trailing slash, as AKS),
- `cluster_key`: the path segment of its API server, `{base}/k8s/{cluster_key}`.

URLs are never stored: they are rendered from the emulator's base URL when answering, so a
snapshot does not depend on the port. The kubeconfig's bearer token is an HMAC of the
cluster key with the instance key, so it is bound to one cluster and never stored either.
"""
from __future__ import annotations

import base64
from typing import Any

from .backend import Backend
from .state import EmulatorState

CLUSTER_TYPE = "Microsoft.ContainerService/managedClusters"
KUBERNETES_VERSION = "1.32.6"
# The AKS Microsoft Entra server application (the audience of tokens for an Entra-integrated API server) and
# the public client kubelogin signs in with, the same in every tenant (AKS docs, kubelogin docs).
AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
AKS_CLIENT_APP_ID = "80faf920-1908-4b52-b5ef-a8e7bedfc67a"
KUBELOGIN_INSTALL_HINT = ("kubelogin is not installed which is required to connect to AAD enabled cluster.\n\n"
                          "To learn more, please go to https://aka.ms/aks/kubelogin\n")
CREDENTIAL_FORMATS = ("azure", "exec")


def cluster_meta(state: EmulatorState, cluster_id: str) -> dict[str, Any]:
    """The cluster's private identifiers, made on first use (deterministic in deterministic mode)."""
    meta = state.resources.meta(cluster_id)
    if "issuer_id" not in meta:
        meta["issuer_id"] = state.ids.guid("oidc-issuer", cluster_id)
    if "cluster_key" not in meta:
        meta["cluster_key"] = state.ids.hex("cluster-key", cluster_id, length=16)
    return meta


def tenant_of(state: EmulatorState, resource_id: str) -> str:
    sub = state.subscription(resource_id.strip("/").split("/")[1])
    return sub.tenant_id if sub else ""


def oidc_enabled(doc: dict[str, Any]) -> bool:
    return bool(((doc.get("properties") or {}).get("oidcIssuerProfile") or {}).get("enabled"))


def workload_identity_enabled(doc: dict[str, Any]) -> bool:
    profile = ((doc.get("properties") or {}).get("securityProfile") or {}).get("workloadIdentity") or {}
    return bool(profile.get("enabled"))


def aad_profile(doc: dict[str, Any]) -> dict[str, Any]:
    return ((doc.get("properties") or {}).get("aadProfile")) or {}


def entra_integrated(doc: dict[str, Any]) -> bool:
    """AKS-managed Microsoft Entra integration: the API server takes Entra tokens for the AKS server app."""
    return bool(aad_profile(doc).get("managed"))


def azure_rbac_enabled(doc: dict[str, Any]) -> bool:
    return entra_integrated(doc) and bool(aad_profile(doc).get("enableAzureRBAC"))


def local_accounts_disabled(doc: dict[str, Any]) -> bool:
    return bool((doc.get("properties") or {}).get("disableLocalAccounts"))


def issuer_url(backend: Backend, doc: dict[str, Any]) -> str:
    meta = cluster_meta(backend.state, doc["id"])
    return f"{backend.base_url}/oidc/{doc['location']}/{tenant_of(backend.state, doc['id'])}/{meta['issuer_id']}/"


def issuer_key_name(issuer_id: str) -> str:
    """The KeyRing name of a cluster issuer's signing key."""
    return f"oidc-{issuer_id}"


def api_server_url(backend: Backend, doc: dict[str, Any]) -> str:
    return f"{backend.base_url}/k8s/{cluster_meta(backend.state, doc['id'])['cluster_key']}"


def user_token(backend: Backend, doc: dict[str, Any]) -> str:
    return backend.state.secrets.secret("kubernetes-user-token", cluster_meta(backend.state, doc["id"])["cluster_key"],
                                        length=52)


def cluster_by_key(state: EmulatorState, cluster_key: str) -> dict[str, Any] | None:
    for doc in state.resources.of_type(CLUSTER_TYPE):
        if cluster_meta(state, doc["id"])["cluster_key"] == cluster_key:
            return doc
    return None


def cluster_by_issuer(state: EmulatorState, issuer_id: str) -> dict[str, Any] | None:
    """The cluster whose issuer this is, if the cluster exists (enabled or not)."""
    for doc in state.resources.of_type(CLUSTER_TYPE):
        if cluster_meta(state, doc["id"])["issuer_id"] == issuer_id:
            return doc
    return None


def _entra_user(doc: dict[str, Any], credential_format: str) -> dict[str, Any]:
    """The user entry AKS hands out for an Entra-integrated cluster: kubelogin as an exec plugin, or (format
    `azure`) the legacy `azure` auth provider."""
    tenant = aad_profile(doc).get("tenantID", "")
    if credential_format == "azure":
        return {"auth-provider": {"name": "azure", "config": {
            "apiserver-id": AKS_SERVER_APP_ID, "client-id": AKS_CLIENT_APP_ID, "config-mode": "1",
            "environment": "AzurePublicCloud", "tenant-id": tenant}}}
    return {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "kubelogin", "env": None,
        "args": ["get-token", "--environment", "AzurePublicCloud", "--server-id", AKS_SERVER_APP_ID,
                 "--client-id", AKS_CLIENT_APP_ID, "--tenant-id", tenant, "--login", "devicecode"],
        "installHint": KUBELOGIN_INSTALL_HINT, "provideClusterInfo": False, "interactiveMode": "IfAvailable"}}


def kubeconfig(backend: Backend, doc: dict[str, Any], *, admin: bool = False, credential_format: str = "exec") -> str:
    """The kubeconfig YAML that listClusterUserCredential (or, `admin`, listClusterAdminCredential) hands out
    (base64-encoded on the wire). An Entra-integrated cluster's user kubeconfig carries no secret: its user
    runs kubelogin (`credential_format` exec) or names the azure auth provider (`azure`)."""
    assert backend.tls is not None
    group = doc["id"].split("/")[4]
    user = f"{'clusterAdmin' if admin else 'clusterUser'}_{group}_{doc['name']}"
    context = f"{doc['name']}-admin" if admin else doc["name"]
    ca_data = base64.b64encode(backend.tls.ca_cert.read_bytes()).decode()
    entry = (_entra_user(doc, credential_format) if entra_integrated(doc) and not admin
             else {"token": user_token(backend, doc)})
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": doc["name"], "cluster": {"server": api_server_url(backend, doc),
                                                         "certificate-authority-data": ca_data}}],
        "users": [{"name": user, "user": entry}],
        "contexts": [{"name": context, "context": {"cluster": doc["name"], "user": user}}],
        "current-context": context,
    }
    import yaml  # on first use: an emulator at rest does not hold it

    return yaml.safe_dump(config, sort_keys=False)
