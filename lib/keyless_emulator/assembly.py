"""How one emulator is put together: the only place that wires the Kubernetes side of the managed
clusters to the Resource Manager state, to each other and to the node.

Nothing registers itself elsewhere: every part is built here and given what it works with, so
each path through the emulator can be read from this module. For instance, how a pod gets
`AZURE_FEDERATED_TOKEN_FILE`:

1. `assemble` gives every cluster's API server an admission chain whose plugin is the workload
   identity webhook (`kubernetes/webhook.py`, `admission_plugin`): on pod CREATE, for a pod
   labelled `azure.workload.identity/use: "true"` in a cluster with workload identity enabled,
   it adds the variable, the projected service-account token volume and its mount;
2. `cluster_api_server` attaches the node to each cluster: the kubelet (`kubelet/`) runs the
   pod, writing the projected token (minted by `kubernetes/tokens.py`) where the variable points.

`assemble(backend)` builds, in order: the node (the kubelet: pods as local processes, their
Services on local ports, their logs); the Kubernetes section (every cluster's API server) with
its admission plugins, seeders (the prerequisite article's store workload) and snapshot
placeholders (account keys); and attaches the section to the state (as a state section, and
told of deleted resources) and to the backend (scenario loads, new tenants, shutdown).
`cluster_api_server(section, key)` builds one cluster's API server when the section first
needs it: its object store, its controllers, and the node's view of it.
"""
from __future__ import annotations

from functools import partial
from typing import Any

from .arm.cognitiveservices.models import current_keys
from .backend import Backend
from .kubelet.bind import StoreClusterAPI
from .kubelet.imds import authority_host
from .kubelet.kubelet import Kubelet
from .kubelet.pods import KubeletSettings
from .kubernetes import webhook
from .kubernetes.controllers import ControllerManager
from .kubernetes.section import KubernetesSection
from .kubernetes.snapshots import PlaceholderProvider
from .kubernetes.store import ClusterStore
from .storeapps.seed import seed_store_workload

ACCOUNT_TYPE = "Microsoft.CognitiveServices/accounts"


def assemble(backend: Backend) -> KubernetesSection:
    """Attach the Kubernetes side of every managed cluster, and their node, to a backend."""
    kubelet = node(backend)
    section = KubernetesSection(
        backend,
        build_store=partial(cluster_api_server, kubelet=kubelet),
        admission_plugins=[webhook.admission_plugin],  # pod CREATE: the workload identity webhook
        seeders=[seed_store_workload],  # after a scenario loads: the prerequisite article's store
        snapshot_placeholders=[account_keys(backend)],
        kubelet=kubelet,
    )
    backend.state.sections[section.name] = section
    backend.state.on_removed = section.resources_removed  # a deleted managed cluster takes its store along
    backend.kubernetes = section  # scenario loads, new tenants, shutdown
    return section


def node(backend: Backend) -> Kubelet:
    """The node agent of every cluster. With `EmulatorConfig.kubelet` off it runs no process: every
    container is idle (Running, Ready)."""
    settings = KubeletSettings(pods_dir=backend.config.pods_dir, run_processes=bool(backend.config.kubelet),
                               ca_bundle=str(backend.tls.ca_bundle) if backend.tls else None,
                               imds_url=authority_host(backend.base_url), idle_stop=float(backend.config.idle_stop))
    return Kubelet(backend, settings)


def cluster_api_server(section: KubernetesSection, cluster_key: str, dumped: dict[str, Any] | None = None, *,
                       kubelet: Kubelet | None) -> ClusterStore:
    """One cluster's API server: its object store (restored from `dumped` when given), its
    controllers, and the node following its pods and Services."""
    store = ClusterStore(section, cluster_key)
    store.controllers = ControllerManager(store)
    if dumped is not None:
        store.load(dumped)
    if kubelet is not None:
        view = StoreClusterAPI(store)
        store.node = view
        kubelet.attach(view)
    return store


def account_keys(backend: Backend) -> PlaceholderProvider:
    """Azure OpenAI account keys (an HMAC of this data folder's instance key) as placeholders, so
    a deployment holding one (the prerequisite article's OPENAI_API_KEY) snapshots the same way
    on every installation."""

    def provider() -> list[tuple[str, str]]:
        state = backend.state
        pairs = []
        for doc in state.resources.of_type(ACCOUNT_TYPE):
            for which, key in sorted(current_keys(state, doc).items()):
                pairs.append((key, f"{{{{account-key:{doc['name']}:{which}}}}}"))
        return pairs

    return provider
