"""Admission: what runs on pod CREATE between validation and persistence.

An admission plugin is `fn(request: AdmissionRequest) -> dict` returning the (possibly mutated)
object. To refuse, raise `errors.AdmissionError(message, code)`, or any exception carrying
`api_message` (the text the client sees) and `status` (HTTP code), like the workload identity
webhook's `AdmissionDenied`. Built-in plugins run first, in kube-apiserver's order:
ServiceAccount (default account, existence check, kube-api-access volume), then
DefaultTolerationSeconds; then the plugins the cluster was assembled with
(`section.admission_plugins`, see assembly.py), which is where the mutating webhooks sit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import clusters
from . import defaults, errors
from .plain import clone

if TYPE_CHECKING:
    from ..backend import Backend
    from .store import ClusterStore

SERVICE_ACCOUNT_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


@dataclass(frozen=True)
class ClusterContext:
    """One cluster as admission plugins and the kubelet see it (read live from the ARM document)."""

    backend: Backend
    cluster_key: str

    @property
    def doc(self) -> dict[str, Any] | None:
        """The managed cluster's Resource Manager document (None once the cluster is deleted)."""
        return clusters.cluster_by_key(self.backend.state, self.cluster_key)

    @property
    def tenant_id(self) -> str:
        doc = self.doc
        return clusters.tenant_of(self.backend.state, doc["id"]) if doc else ""

    @property
    def base_url(self) -> str:
        return self.backend.base_url

    @property
    def api_server_url(self) -> str:
        return f"{self.backend.base_url}/k8s/{self.cluster_key}"

    @property
    def workload_identity_enabled(self) -> bool:
        doc = self.doc
        return bool(doc) and clusters.workload_identity_enabled(doc)

    @property
    def oidc_issuer_enabled(self) -> bool:
        doc = self.doc
        return bool(doc) and clusters.oidc_enabled(doc)


@dataclass
class AdmissionRequest:
    operation: str  # "CREATE"
    resource: str  # "pods"
    namespace: str
    object: dict[str, Any]
    store: ClusterStore
    cluster: ClusterContext
    dry_run: bool = False


AdmissionPlugin = Callable[[AdmissionRequest], dict[str, Any]]


def _suffix(store: ClusterStore, *names: str) -> str:
    return store.random_suffix("kube-api-access", *names)


def service_account(request: AdmissionRequest) -> dict[str, Any]:
    """The ServiceAccount admission plugin (pods): default account, existence, token volume."""
    pod = clone(request.object)
    spec = pod.setdefault("spec", {})
    name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = name
    spec["serviceAccount"] = name
    sa = request.store.find("serviceaccounts", request.namespace, name)
    if sa is None:
        meta = pod.get("metadata") or {}
        raise errors.forbidden("pods", meta.get("name") or meta.get("generateName") or "", "",
                               f'error looking up service account {request.namespace}/{name}: '
                               f'serviceaccount "{name}" not found')
    automount = spec.get("automountServiceAccountToken", sa.get("automountServiceAccountToken", True))
    if automount is False:
        return pod
    volumes = spec.setdefault("volumes", [])
    if any(m.get("mountPath") == SERVICE_ACCOUNT_MOUNT for c in spec.get("containers") or []
           for m in c.get("volumeMounts") or []):
        return pod
    volume_name = "kube-api-access-" + _suffix(request.store, request.namespace,
                                               (pod.get("metadata") or {}).get("name") or "")
    volumes.append({"name": volume_name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                    "path": "namespace"}]}}]}})
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            c.setdefault("volumeMounts", []).append(
                {"name": volume_name, "mountPath": SERVICE_ACCOUNT_MOUNT, "readOnly": True})
    return pod


def default_toleration_seconds(request: AdmissionRequest) -> dict[str, Any]:
    pod = clone(request.object)
    tolerations = pod.setdefault("spec", {}).setdefault("tolerations", [])
    for t in defaults.NOT_READY_TOLERATIONS:
        if not any(x.get("key") == t["key"] for x in tolerations):
            tolerations.append(dict(t))
    return pod


BUILT_IN: tuple[AdmissionPlugin, ...] = (service_account, default_toleration_seconds)


def run(request: AdmissionRequest, plugins: list[AdmissionPlugin]) -> dict[str, Any]:
    """Every plugin in order; a denial becomes the Status the client sees."""
    obj = request.object
    for plugin in (*BUILT_IN, *plugins):
        request.object = obj
        try:
            obj = plugin(request)
        except errors.KubeError:
            raise
        except Exception as e:  # a plugin's own denial type (api_message + status)
            message = getattr(e, "api_message", None)
            if message is None:
                raise
            raise errors.AdmissionError(message, int(getattr(e, "status", 400))) from e
    return obj
