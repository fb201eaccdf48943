"""The Kubernetes API server of each emulated AKS cluster, under `{base}/k8s/{cluster_key}`.

Modules: `kinds` (served resources), `store` (one cluster's objects, watch history, events,
admission and change listeners), `section` (all stores; snapshot/restore; extension points),
`controllers` (namespace, deployment, replicaset, scheduler, service, garbage collector),
`admission`, `defaults`, `validation`, `schemas`, `patch`, `selectors`, `watch`, `tables`,
`discovery`, `openapi`, `logs`, `proxy`, `reviews` (auth whoami / can-i), `protobuf` (request
bodies of kubectl's typed clients), `wire` (request/response), `responses` (handlers), `routes`,
`security`. `webhook` (workload identity) and `tokens` (service-account tokens) are
the workload identity pieces; the kubelet (`..kubelet`) runs pods.

`install(backend)` registers `backend.state.sections["kubernetes"]`, drops a cluster's store
when its managed cluster is deleted, bootstraps and seeds every cluster after a scenario loads
or a tenant is added, and plugs in the kubelet (which registers the workload identity webhook).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .section import KubernetesSection

if TYPE_CHECKING:
    from ..backend import Backend

log = logging.getLogger("keyless_emulator.kubernetes")


def section_of(backend: Backend) -> KubernetesSection:
    return backend.state.sections["kubernetes"]  # type: ignore[return-value]


def _account_keys(backend: Backend):
    """Azure OpenAI account keys (an HMAC of this data folder's instance key) as placeholders, so
    a deployment holding one (the prerequisite article's OPENAI_API_KEY) snapshots the same way
    on every installation."""
    from ..arm.cognitiveservices.models import current_keys

    def provider() -> list[tuple[str, str]]:
        state = backend.state
        pairs = []
        for doc in state.resources.of_type("Microsoft.CognitiveServices/accounts"):
            for which, key in sorted(current_keys(state, doc).items()):
                pairs.append((key, f"{{{{account-key:{doc['name']}:{which}}}}}"))
        return pairs

    return provider


def install(backend: Backend) -> KubernetesSection:
    """Attach the Kubernetes side to a backend (state section and hooks)."""
    section = KubernetesSection(backend)
    backend.state.sections[section.name] = section
    backend.state.on_delete.append(section.on_resources_deleted)
    backend.after_load.append(lambda b, scenario: section.seed_all(scenario))
    backend.after_tenant.append(lambda b, subscription: section.seed_all(b.state.scenario or "", subscription))
    backend.on_shutdown.append(lambda b: section.shutdown())
    section.snapshot_placeholders.append(_account_keys(backend))
    # The node side: the kubelet (pods as local processes), the workload identity webhook, the
    # store apps' seeder, and the resolvers the service proxy and pod logs use.
    from ..kubelet.install import install as install_kubelet

    install_kubelet(backend, section)
    return section
