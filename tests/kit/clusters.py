"""Turning on the OIDC issuer and workload identity of a managed cluster, as the article does,
through the real azure-mgmt-containerservice client (the emulator tests' one spelling of it)."""
from __future__ import annotations

from typing import Any

GROUP, CLUSTER = "myResourceGroup", "myAKSCluster"


def begin_enable_workload_identity(aks: Any, group: str = GROUP, cluster: str = CLUSTER) -> Any:
    """What `az aks update --enable-oidc-issuer --enable-workload-identity` sends: GET the cluster,
    turn both on, PUT it all back. Answers the poller of the long-running update (`aks` is a
    ContainerServiceClient). The poller keeps the client's own polling interval: the emulator's
    answers must never make it wait that long, and tests check it."""
    from azure.mgmt.containerservice.models import (
        ManagedClusterOIDCIssuerProfile,
        ManagedClusterSecurityProfile,
        ManagedClusterSecurityProfileWorkloadIdentity,
    )

    mc = aks.managed_clusters.get(group, cluster)
    mc.properties.oidc_issuer_profile = ManagedClusterOIDCIssuerProfile(enabled=True)
    mc.properties.security_profile = mc.properties.security_profile or ManagedClusterSecurityProfile()
    mc.properties.security_profile.workload_identity = ManagedClusterSecurityProfileWorkloadIdentity(enabled=True)
    return aks.managed_clusters.begin_create_or_update(group, cluster, mc)


def enable_workload_identity(aks: Any, group: str = GROUP, cluster: str = CLUSTER) -> str:
    """The same update, waited for; answers the cluster's OIDC issuer URL."""
    updated = begin_enable_workload_identity(aks, group, cluster).result()
    return str(updated.properties.oidc_issuer_profile.issuer_url)


def create_cluster(aks: Any, name: str, *, oidc: bool, group: str = GROUP) -> None:
    """A new one-node managed cluster `name` in eastus, its OIDC issuer on or off."""
    body = {"location": "eastus", "properties": {
        "dnsPrefix": name, "agentPoolProfiles": [{"name": "nodepool1", "count": 1, "mode": "System"}],
        "oidcIssuerProfile": {"enabled": oidc}}}
    aks.managed_clusters.begin_create_or_update(group, name, body).result()


def issuer_url_while_disabled(emulator: Any, name: str = CLUSTER, group: str = GROUP) -> str:
    """The URL cluster `name`'s OIDC issuer will have once enabled: Resource Manager does not show it
    while the issuer is off, so it is read from the in-process emulator's state."""
    from keyless_emulator import clusters

    group_id = f"/subscriptions/{emulator.info.subscription_id}/resourceGroups/{group}"
    doc = emulator.backend.state.resources.get(f"{group_id}/providers/{clusters.CLUSTER_TYPE}/{name}")
    assert doc is not None, f"no cluster {name} in {group}"
    return str(clusters.issuer_url(emulator.backend, doc))
