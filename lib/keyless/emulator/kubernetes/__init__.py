"""The Kubernetes API server of each emulated AKS cluster, under `{base}/k8s/{cluster_key}`.

Modules: `kinds` (served resources), `store` (one cluster's objects, watch history, events,
admission and change listeners), `section` (all stores; snapshot/restore; extension points),
`controllers` (namespace, deployment, replicaset, scheduler, service, garbage collector),
`admission`, `defaults`, `validation`, `schemas`, `patch`, `selectors`, `watch`, `tables`,
`discovery`, `openapi`, `logs`, `proxy`, `wire` (request/response), `responses` (handlers),
`routes`, `security`. `webhook` (workload identity) and `tokens` (service-account tokens) are
the workload identity pieces; the kubelet (`..kubelet`) runs pods.

`install(backend)` registers `backend.state.sections["kubernetes"]`, drops a cluster's store
when its managed cluster is deleted, bootstraps and seeds every cluster after a scenario loads
or a tenant is added, and plugs in the workload identity webhook and the kubelet when present.
"""
from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from .section import KubernetesSection

if TYPE_CHECKING:
    from ..backend import Backend

log = logging.getLogger("keyless.emulator.kubernetes")


def section_of(backend: "Backend") -> KubernetesSection:
    return backend.state.sections["kubernetes"]  # type: ignore[return-value]


def _workload_identity_admission(request: Any) -> dict[str, Any]:
    """The workload identity mutating webhook as an admission plugin (pod CREATE)."""
    from .webhook import WebhookConfig, WorkloadIdentityWebhook

    cluster = request.cluster
    hook = WorkloadIdentityWebhook(
        enabled=lambda: cluster.workload_identity_enabled,
        config=lambda: WebhookConfig(tenant_id=cluster.tenant_id, authority_host=cluster.base_url + "/"),
        service_account=lambda ns, name: request.store.find("serviceaccounts", ns, name))
    return hook.admit(request.object, request.namespace)


def _install_optional(backend: "Backend", section: KubernetesSection) -> None:
    try:
        importlib.import_module(".webhook", __name__)
    except ImportError:
        pass
    else:
        section.admission_plugins.append(_workload_identity_admission)
    if backend.config.kubelet:
        try:
            kubelet = importlib.import_module("..kubelet", __name__)
        except ImportError:
            return
        install = getattr(kubelet, "install", None)
        if install is not None:
            install(backend, section)


def install(backend: "Backend") -> KubernetesSection:
    """Attach the Kubernetes side to a backend (state section and hooks)."""
    section = KubernetesSection(backend)
    backend.state.sections[section.name] = section
    backend.state.on_delete.append(section.on_resources_deleted)
    backend.after_load.append(lambda b, scenario: section.seed_all(scenario))
    backend.after_tenant.append(lambda b, subscription: section.seed_all(b.state.scenario or "", subscription))
    backend.on_shutdown.append(lambda b: section.shutdown())
    _install_optional(backend, section)
    return section
