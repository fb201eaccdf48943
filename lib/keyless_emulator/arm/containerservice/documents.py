"""The managed cluster document, built from a PUT body and the cluster as it stands — pure
rules: reads the state (ids, referenced identities), never writes it, never locks, no HTTP.

The request's writable fields go over the current document (or AKS's defaults on create); the
server-owned fields (fqdn, provisioning state, ids, current version) are recomputed or kept.
Here live the property rules: location, dnsPrefix and nodeResourceGroup are immutable, only the
Kubernetes version the emulator runs, the OIDC issuer cannot be turned off, workload identity
needs it, agent pool rules, and the cluster identity (system- or user-assigned); and the shape
AKS gives a cluster: defaults for what the caller left out, the agent pools and network profile
it fills in, and the server-owned (read-only) fields.
"""
from __future__ import annotations

import copy
import re
from typing import Any

from ...clusters import CLUSTER_TYPE, KUBERNETES_VERSION
from ...state import EmulatorState, Principal
from ..errors import invalid_request_content, location_change, missing_property
from . import errors

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
# server-filled fields inside the network profile's writable sub-profiles: an update body (the SDK leaves
# them out, as read-only) replaces the sub-profile but never these; ARM keeps what the server filled in
READ_ONLY_NETWORK_PROPERTIES: dict[str, tuple[str, ...]] = {
    "loadBalancerProfile": ("effectiveOutboundIPs",),
    "natGatewayProfile": ("effectiveOutboundIPs",),
}

_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")

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
        new = copy.deepcopy(value)
        current = base.get(key)
        if isinstance(new, dict) and isinstance(current, dict):
            for field in READ_ONLY_NETWORK_PROPERTIES.get(key, ()):  # the server's value, whatever was sent
                if field in current:
                    new[field] = copy.deepcopy(current[field])
                else:
                    new.pop(field, None)
        base[key] = new
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


_DNS_PREFIX = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,52}[A-Za-z0-9])?$")


def cluster_id(subscription: str, group: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{CLUSTER_TYPE}/{name}"


def tenant_of_subscription(state: EmulatorState, subscription: str) -> str:
    sub = state.subscription(subscription)
    return sub.tenant_id if sub else ""


def system_data(state: EmulatorState, existing: dict[str, Any] | None, actor: Principal | None) -> dict[str, Any]:
    now = state.clock.iso()
    by = actor.app_id if actor else None
    by_type = "ManagedIdentity" if actor and actor.kind == "ManagedIdentity" else "Application"
    data = dict((existing or {}).get("systemData") or {"createdBy": by, "createdByType": by_type, "createdAt": now})
    data.update({"lastModifiedBy": by, "lastModifiedByType": by_type, "lastModifiedAt": now})
    return data


def _merged(current: Any, requested: Any) -> Any:
    """A profile in the request replaces the current one key by key (absent keys keep their value)."""
    if isinstance(current, dict) and isinstance(requested, dict):
        out = copy.deepcopy(current)
        out.update(copy.deepcopy(requested))
        return out
    return copy.deepcopy(requested)


def _flag(profile: Any, target: str) -> bool | None:
    if profile is None:
        return None
    if not isinstance(profile, dict):
        raise errors.invalid_parameter(target, f"The value of parameter {target.rsplit('.', 1)[0]} must be an object.")
    value = profile.get("enabled")
    if value is not None and not isinstance(value, bool):
        raise errors.invalid_parameter(target, f"The value of parameter {target} must be true or false, got {value!r}.")
    return value


def _oidc_profile(requested: Any, existing_props: dict[str, Any] | None) -> dict[str, Any]:
    was_enabled = bool(existing_props and ((existing_props.get("oidcIssuerProfile") or {}).get("enabled")))
    wanted = _flag(requested, "properties.oidcIssuerProfile.enabled")
    if was_enabled and wanted is False:
        raise errors.oidc_cannot_be_disabled()
    return {"enabled": was_enabled if wanted is None else wanted}


def _security_profile(props: dict[str, Any], requested: Any, oidc_on: bool) -> dict[str, Any]:
    current = props.get("securityProfile") or {}
    if requested is not None and not isinstance(requested, dict):
        raise errors.invalid_parameter("properties.securityProfile",
                                       "The value of parameter securityProfile must be an object.")
    merged = _merged(current, requested) if requested is not None else copy.deepcopy(current)
    if "workloadIdentity" in merged:
        wi = _flag(merged["workloadIdentity"], "properties.securityProfile.workloadIdentity.enabled")
        if wi and not oidc_on:
            raise errors.workload_identity_needs_oidc()
        merged["workloadIdentity"] = {"enabled": bool(wi)}
    return merged


def _aad_profile(requested: Any, existing_props: dict[str, Any] | None, tenant: str) -> dict[str, Any] | None:
    """AKS-managed Microsoft Entra integration: `managed` (cannot be turned off once on), `enableAzureRBAC`
    (needs `managed`), `tenantID` (the subscription's tenant when left out), `adminGroupObjectIDs`."""
    current = (existing_props or {}).get("aadProfile")
    if requested is None:
        return copy.deepcopy(current)
    if not isinstance(requested, dict):
        raise errors.invalid_parameter("properties.aadProfile", "The value of parameter aadProfile must be an object.")
    merged = _merged(current or {}, requested)
    for flag in ("managed", "enableAzureRBAC"):
        if merged.get(flag) is not None and not isinstance(merged[flag], bool):
            raise errors.invalid_parameter(f"properties.aadProfile.{flag}",
                                           f"The value of parameter aadProfile.{flag} must be true or false, got "
                                           f"{str(merged[flag])[:40]!r}.")
    if current and current.get("managed") and merged.get("managed") is False:
        raise errors.aad_cannot_be_disabled()
    if merged.get("enableAzureRBAC") and not merged.get("managed"):
        raise errors.azure_rbac_needs_managed_aad()
    groups = merged.get("adminGroupObjectIDs")
    if groups is not None and (not isinstance(groups, list) or not all(isinstance(g, str) for g in groups)):
        raise errors.invalid_parameter("properties.aadProfile.adminGroupObjectIDs",
                                       "The value of parameter aadProfile.adminGroupObjectIDs must be a list of "
                                       "group object ids.")
    tenant_id = merged.get("tenantID") or tenant
    if not isinstance(tenant_id, str):
        raise errors.invalid_parameter("properties.aadProfile.tenantID",
                                       "The value of parameter aadProfile.tenantID must be a tenant id.")
    return {"managed": bool(merged.get("managed")), "enableAzureRBAC": bool(merged.get("enableAzureRBAC")),
            "adminGroupObjectIDs": list(groups) if groups else None, "tenantID": tenant_id}


def _local_accounts(requested: dict[str, Any], props: dict[str, Any]) -> bool:
    """disableLocalAccounts: a boolean, true only on a cluster with AKS-managed Entra integration."""
    value = requested.get("disableLocalAccounts", props.get("disableLocalAccounts", False))
    if value is None:
        value = False
    if not isinstance(value, bool):
        raise errors.invalid_parameter("properties.disableLocalAccounts",
                                       "The value of parameter disableLocalAccounts must be true or false, got "
                                       f"{str(value)[:40]!r}.")
    if value and not (props.get("aadProfile") or {}).get("managed"):
        raise errors.local_accounts_need_aad()
    return value


def _agent_pools(state: EmulatorState, cluster: str, requested: Any, existing_props: dict[str, Any] | None,
                 version: str, provisioning_state: str) -> list[dict[str, Any]]:
    existing_pools = {p["name"].lower(): p for p in (existing_props or {}).get("agentPoolProfiles") or []}
    if requested is None:
        requested = (list(existing_pools.values()) if existing_pools
                     else [{"name": "nodepool1", "count": 3, "vmSize": DEFAULT_VM_SIZE, "mode": "System"}])
    if not isinstance(requested, list) or not requested:
        raise errors.invalid_parameter("properties.agentPoolProfiles",
                                       "At least one agent pool profile (properties.agentPoolProfiles) is required.")
    seen: set[str] = set()
    pools = []
    for pool in requested:
        problem = pool_problem(pool)
        if problem:
            raise errors.invalid_parameter(*problem)
        if pool["name"].lower() in seen:
            raise errors.invalid_parameter("properties.agentPoolProfiles.name",
                                           f"Agent pool name '{pool['name']}' appears more than once; names must be "
                                           "unique.")
        seen.add(pool["name"].lower())
        pools.append(agent_pool(pool, existing_pools.get(pool["name"].lower()), version=version,
                                      etag=state.ids.guid("etag", cluster, pool["name"]), state=provisioning_state))
    if not any(p.get("mode", "System") == "System" for p in pools):
        raise errors.invalid_parameter("properties.agentPoolProfiles.mode",
                                       "A managed cluster must have at least one agent pool in System mode.")
    return pools


def _identity(state: EmulatorState, requested: Any, existing: dict[str, Any] | None, tenant: str,
              cluster: str) -> dict[str, Any]:
    current = (existing or {}).get("identity")
    wanted = requested if requested is not None else (current or {"type": "SystemAssigned"})
    if not isinstance(wanted, dict):
        raise errors.invalid_parameter("identity", "The value of parameter identity must be an object.")
    kind = wanted.get("type")
    if kind == "SystemAssigned":
        keep = current if current and current.get("type") == "SystemAssigned" else None
        return {"type": "SystemAssigned",
                "principalId": keep["principalId"] if keep else state.ids.guid("cluster-identity", cluster),
                "tenantId": tenant}
    if kind == "UserAssigned":
        refs = wanted.get("userAssignedIdentities") or {}
        if not isinstance(refs, dict) or len(refs) != 1:
            raise errors.invalid_parameter("identity.userAssignedIdentities",
                                           "A managed cluster with a user-assigned identity needs exactly one entry in "
                                           "identity.userAssignedIdentities.")
        resolved = {}
        for ref in refs:
            uami = state.resources.get(ref)
            if uami is None or uami.get("type", "").lower() != "microsoft.managedidentity/userassignedidentities":
                raise errors.invalid_parameter("identity.userAssignedIdentities",
                                               f"The user-assigned identity '{ref}' could not be found.")
            resolved[uami["id"]] = {"principalId": uami["properties"]["principalId"],
                                    "clientId": uami["properties"]["clientId"]}
        return {"type": "UserAssigned", "userAssignedIdentities": resolved}
    raise errors.invalid_parameter("identity.type",
                                   f"The value of parameter identity.type '{kind}' is invalid. A managed cluster "
                                   "identity is 'SystemAssigned' or 'UserAssigned'.")


def _kubelet_identity(state: EmulatorState, cluster: str, subscription: str, node_group: str,
                      name: str) -> dict[str, Any]:
    return {"kubeletidentity": {
        "resourceId": (f"/subscriptions/{subscription}/resourcegroups/{node_group}/providers/"
                       f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}-agentpool"),
        "clientId": state.ids.guid("kubelet-client", cluster), "objectId": state.ids.guid("kubelet-object", cluster)}}


def _immutable(existing_props: dict[str, Any], requested: dict[str, Any]) -> None:
    for prop in ("dnsPrefix", "nodeResourceGroup"):
        if requested.get(prop) and requested[prop] != existing_props.get(prop):
            raise errors.property_change_not_allowed(prop)


def build(state: EmulatorState, *, subscription: str, group: str, name: str, body: Any,
          existing: dict[str, Any] | None, actor: Principal | None) -> dict[str, Any]:
    """The cluster document once a PUT of `body` has completed (provisioningState Succeeded)."""
    if not isinstance(body, dict):
        raise invalid_request_content("The request content must be a JSON object describing the managed cluster.")
    if not body.get("location"):
        raise missing_property("location")
    location = str(body["location"]).replace(" ", "").lower()
    requested = body.get("properties") or {}
    if not isinstance(requested, dict):
        raise invalid_request_content("The request content was invalid: 'properties' must be a JSON object.")
    the_id = existing["id"] if existing else cluster_id(subscription, group, name)
    name = existing["name"] if existing else name
    existing_props = existing["properties"] if existing else None
    if existing:
        if location != existing["location"]:
            raise location_change(name, existing["location"], group, location)
        _immutable(existing_props, requested)
        props = copy.deepcopy(existing_props)
    else:
        dns_prefix = requested.get("dnsPrefix") or default_dns_prefix(name, group, subscription)
        props = default_properties(dns_prefix=dns_prefix,
                                         node_group=requested.get("nodeResourceGroup")
                                         or node_resource_group(group, name, location))
    for key, value in requested.items():
        if key not in READ_ONLY_PROPERTIES and key not in (
                "agentPoolProfiles", "networkProfile", "oidcIssuerProfile", "securityProfile", "aadProfile",
                "disableLocalAccounts"):
            props[key] = _merged(props.get(key), value)
    if not isinstance(props.get("dnsPrefix"), str) or not _DNS_PREFIX.match(props["dnsPrefix"]):
        raise errors.invalid_parameter("properties.dnsPrefix",
                                       f"The value of parameter dnsPrefix '{props.get('dnsPrefix')}' is invalid. It "
                                       "must be 1-54 letters, digits and hyphens, starting and ending with a letter "
                                       "or digit.")
    version = supported_version(props.get("kubernetesVersion"))
    if version is None:
        raise errors.version_not_supported(str(props.get("kubernetesVersion")), KUBERNETES_VERSION)
    props["kubernetesVersion"] = version
    props["oidcIssuerProfile"] = _oidc_profile(requested.get("oidcIssuerProfile"), existing_props)
    props["securityProfile"] = _security_profile(props, requested.get("securityProfile"),
                                                 props["oidcIssuerProfile"]["enabled"])
    props["aadProfile"] = _aad_profile(requested.get("aadProfile"), existing_props,
                                       tenant_of_subscription(state, subscription))
    if props["aadProfile"] is None:
        del props["aadProfile"]
    props["disableLocalAccounts"] = _local_accounts(requested, props)
    props["agentPoolProfiles"] = _agent_pools(state, the_id, requested.get("agentPoolProfiles"), existing_props,
                                              version, "Succeeded")
    node_group = props["nodeResourceGroup"]
    node_group_id = f"/subscriptions/{subscription}/resourceGroups/{node_group}"
    props["networkProfile"] = network_profile(requested.get("networkProfile"),
                                                    (existing_props or {}).get("networkProfile"), node_group_id,
                                                    state.ids.guid("outbound-ip", the_id))
    if not props.get("identityProfile"):
        props["identityProfile"] = _kubelet_identity(state, the_id, subscription, node_group, name)
    if existing:
        fqdn, portal, uid = existing_props["fqdn"], existing_props["azurePortalFQDN"], existing_props["resourceUID"]
    else:
        digest = state.ids.hex("fqdn", the_id, length=8)
        fqdn = f"{props['dnsPrefix'].lower()}-{digest}.hcp.{location}.azmk8s.io"
        portal = f"{props['dnsPrefix'].lower()}-{digest}.portal.hcp.{location}.azmk8s.io"
        uid = state.ids.hex("resource-uid", the_id, length=24)
    props.update({"provisioningState": "Succeeded", "powerState": {"code": "Running"},
                  "currentKubernetesVersion": KUBERNETES_VERSION, "fqdn": fqdn, "azurePortalFQDN": portal,
                  "maxAgentPools": MAX_AGENT_POOLS, "resourceUID": uid})
    tags = body["tags"] if "tags" in body else (existing or {}).get("tags", {})
    if tags is not None and not isinstance(tags, dict):
        raise invalid_request_content("The request content was invalid: 'tags' must be a JSON object.")
    sku = _merged((existing or {}).get("sku") or {"name": "Base", "tier": "Free"}, body.get("sku") or {})
    return {"id": the_id, "location": location, "name": name, "type": CLUSTER_TYPE, "tags": tags or {},
            "eTag": state.ids.guid("etag", the_id),
            "sku": sku,
            "identity": _identity(state, body.get("identity"), existing, tenant_of_subscription(state, subscription),
                                  the_id),
            "properties": props, "systemData": system_data(state, existing, actor)}
