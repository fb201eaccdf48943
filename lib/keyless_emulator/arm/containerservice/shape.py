"""The shape of a managed cluster document: defaults for what the caller left out, the agent
pools and network profile AKS fills in, and the server-owned (read-only) fields.

Pure functions of their inputs (ids come in through `ids`), no state access, no HTTP.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from ...clusters import KUBERNETES_VERSION

DEFAULT_VM_SIZE = "Standard_DS2_v2"
NODE_IMAGE_VERSION = "AKSUbuntu-2204gen2containerd-202510.19.0"
MAX_PODS_OVERLAY = 250
MAX_AGENT_POOLS = 100

# properties the server owns: ignored in a request body (the SDK never sends them anyway).
READ_ONLY_PROPERTIES = frozenset({
    "provisioningState", "powerState", "fqdn", "azurePortalFQDN", "privateFQDN", "currentKubernetesVersion",
    "maxAgentPools", "resourceUID",
})
READ_ONLY_POOL_PROPERTIES = frozenset({"provisioningState", "currentOrchestratorVersion", "eTag", "nodeImageVersion"})

_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")

Ids = Callable[[str], str]  # kind -> a fresh identifier for this cluster


def default_dns_prefix(name: str, group: str, subscription: str) -> str:
    """What `az aks create` derives when --dns-name-prefix is not given."""
    name_part = re.sub(r"[^A-Za-z0-9-]", "", name)[:10]
    if not name_part or not name_part[0].isalpha():
        name_part = ("a" + name_part)[:10]
    group_part = re.sub(r"[^A-Za-z0-9-]", "", group)[:16]
    return f"{name_part}-{group_part}-{subscription[:6]}"


def node_resource_group(group: str, name: str, location: str) -> str:
    return f"MC_{group}_{name}_{location}"


def supported_version(requested: str | None) -> str | None:
    """The version to record, or None when the emulator cannot run it ("" means the default)."""
    if not requested:
        return KUBERNETES_VERSION
    minor = ".".join(KUBERNETES_VERSION.split(".")[:2])
    return requested if requested in (KUBERNETES_VERSION, minor) else None


def agent_pool(request: dict[str, Any], existing: dict[str, Any] | None, *, version: str, etag: str,
               state: str) -> dict[str, Any]:
    """One agent pool profile: the request's writable fields over the existing pool or AKS defaults."""
    base = copy.deepcopy(existing) if existing else {
        "count": 1, "vmSize": DEFAULT_VM_SIZE, "osDiskSizeGB": 128, "osDiskType": "Managed", "kubeletDiskType": "OS",
        "maxPods": MAX_PODS_OVERLAY, "type": "VirtualMachineScaleSets", "enableAutoScaling": False,
        "enableNodePublicIP": False, "mode": "System", "osType": "Linux", "osSKU": "Ubuntu",
        "upgradeSettings": {"maxSurge": "10%"}, "enableFIPS": False, "securityProfile": {"enableVTPM": False,
                                                                                          "enableSecureBoot": False},
    }
    for key, value in request.items():
        if key not in READ_ONLY_POOL_PROPERTIES:
            base[key] = copy.deepcopy(value)
    base["orchestratorVersion"] = base.get("orchestratorVersion") or version
    base["currentOrchestratorVersion"] = KUBERNETES_VERSION
    base["nodeImageVersion"] = NODE_IMAGE_VERSION
    base["provisioningState"] = state
    base["powerState"] = {"code": "Running"}
    base["eTag"] = etag
    return base


def pool_problem(pool: Any) -> tuple[str, str] | None:
    """(target, message) when an agent pool profile breaks AKS's rules, else None."""
    if not isinstance(pool, dict):
        return "properties.agentPoolProfiles", "Each agent pool profile must be a JSON object."
    name = pool.get("name")
    if not isinstance(name, str) or not _POOL_NAME.match(name):
        return ("properties.agentPoolProfiles.name",
                f"The value of parameter agentPoolProfile.name '{name}' is invalid. Agent pool names must start with a "
                "lowercase letter, have max length of 12, and only have characters a-z0-9.")
    count = pool.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 1000:
        return ("properties.agentPoolProfiles.count",
                f"The value of parameter agentPoolProfile.count '{count}' is invalid. It must be an integer from 0 to "
                "1000.")
    return None


def network_profile(request: dict[str, Any] | None, existing: dict[str, Any] | None,
                    node_group_id: str, outbound_ip: str) -> dict[str, Any]:
    """AKS's default network (Azure CNI overlay behind a standard load balancer), with the request on top."""
    base = copy.deepcopy(existing) if existing else {
        "networkPlugin": "azure", "networkPluginMode": "overlay", "networkPolicy": "none", "networkDataplane": "azure",
        "podCidr": "10.244.0.0/16", "serviceCidr": "10.0.0.0/16", "dnsServiceIP": "10.0.0.10",
        "outboundType": "loadBalancer", "loadBalancerSku": "standard",
        "loadBalancerProfile": {
            "managedOutboundIPs": {"count": 1},
            "effectiveOutboundIPs": [
                {"id": f"{node_group_id}/providers/Microsoft.Network/publicIPAddresses/{outbound_ip}"}],
            "allocatedOutboundPorts": 0, "idleTimeoutInMinutes": 30, "backendPoolType": "nodeIPConfiguration"},
        "podCidrs": ["10.244.0.0/16"], "serviceCidrs": ["10.0.0.0/16"], "ipFamilies": ["IPv4"],
    }
    for key, value in (request or {}).items():
        base[key] = copy.deepcopy(value)
    return base


def default_properties(*, dns_prefix: str, node_group: str) -> dict[str, Any]:
    """The writable properties AKS fills in on create when the request leaves them out."""
    return {
        "dnsPrefix": dns_prefix, "kubernetesVersion": KUBERNETES_VERSION, "enableRBAC": True,
        "supportPlan": "KubernetesOfficial", "nodeResourceGroup": node_group, "disableLocalAccounts": False,
        "servicePrincipalProfile": {"clientId": "msi"}, "addonProfiles": {},
        # AKS gives every cluster a Windows profile (its password is never shown) so Windows pools can be added later
        "windowsProfile": {"adminUsername": "azureuser", "enableCSIProxy": True},
        "autoUpgradeProfile": {"upgradeChannel": "none", "nodeOSUpgradeChannel": "NodeImage"},
        "oidcIssuerProfile": {"enabled": False}, "securityProfile": {},
        "storageProfile": {"diskCSIDriver": {"enabled": True}, "fileCSIDriver": {"enabled": True},
                           "snapshotController": {"enabled": True}},
        "workloadAutoScalerProfile": {},
    }


def with_state(doc: dict[str, Any], provisioning_state: str) -> dict[str, Any]:
    """A copy of the document in another provisioning state (the cluster's, not the pools')."""
    out = copy.deepcopy(doc)
    out["properties"]["provisioningState"] = provisioning_state
    return out
