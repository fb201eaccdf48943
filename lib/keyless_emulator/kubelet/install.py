"""Attaching the kubelet to a backend's Kubernetes section."""
from __future__ import annotations

from typing import Any

from .bind import StoreClusterAPI
from .imds import authority_host
from .kubelet import Kubelet
from .pods import KubeletSettings


def install(backend: Any, section: Any) -> Kubelet:
    """Everything on the workload side of each cluster, in one call from `kubernetes.install`:
    the workload identity webhook (admission plugin on pod CREATE), the `before-you-begin` store
    workload (a seeder), and one kubelet for every cluster: it follows each store as it is made,
    answers the section's resolvers (service proxy, pod proxy, pod logs), and stops every process
    at shutdown. With `EmulatorConfig.kubelet` off it runs no process: every container is idle
    (Running, Ready)."""
    from ..kubernetes.webhook import admission_plugin
    from ..storeapps.seed import seed_store_workload

    if admission_plugin not in section.admission_plugins:
        section.admission_plugins.append(admission_plugin)
    if seed_store_workload not in section.seeders:
        section.seeders.append(seed_store_workload)
    settings = KubeletSettings(pods_dir=backend.config.pods_dir, run_processes=bool(backend.config.kubelet),
                               ca_bundle=str(backend.tls.ca_bundle) if backend.tls else None,
                               imds_url=authority_host(backend.base_url))
    kubelet = Kubelet(backend, settings)
    section.on_store_created.append(lambda store: kubelet.attach(StoreClusterAPI(store)))
    section.endpoint_resolver = kubelet.service_address
    section.pod_resolver = kubelet.pod_address
    section.log_provider = kubelet.log_file
    section.kubelet = kubelet
    backend.on_shutdown.append(lambda _backend: kubelet.shutdown())
    for store in list(section.stores.values()):
        kubelet.attach(StoreClusterAPI(store))
    return kubelet
