"""The Kubernetes API server of each emulated AKS cluster, under `{base}/k8s/{cluster_key}`.

Modules: `kinds` (served resources), `store` (one cluster's objects and writes) with `history`
(watch history), `events`, `workqueue` (the controllers' queue), `update_rules`, `managed`
(managedFields) with `fields` (FieldsV1 sets) and `snapshots` (installation placeholders);
`section` (all stores; snapshot/restore); `controllers/` (one module per controller: namespace,
deployment, replicaset, scheduler, service, garbage collector);
`admission`, `defaults`, `validation`, `schemas`, `patch`, `selectors`, `watch`, `tables`,
`discovery`, `openapi`, `logs`, `proxy`, `reviews` (auth whoami / can-i), `protobuf` (request
bodies of kubectl's typed clients), `wire` (request/response), `responses` (handlers), `routes`,
`security`. `webhook` (workload identity) and `tokens` (service-account tokens) are the workload
identity pieces; the kubelet (`..kubelet`) runs pods.

Nothing here wires itself to the rest of the emulator: `keyless_emulator.assembly` builds the
section, each cluster's store with its controllers, the admission chain with the webhook, and
attaches the kubelet.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .section import KubernetesSection

if TYPE_CHECKING:
    from ..backend import Backend


def section_of(backend: Backend) -> KubernetesSection:
    return backend.state.sections["kubernetes"]  # type: ignore[return-value]
