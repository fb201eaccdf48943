"""Microsoft.ContainerService managed clusters through azure-mgmt-containerservice: the workload
identity switches, long-running writes through the real poller, the kubeconfig, and the errors."""
from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path

import pytest
import yaml
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from kit import begin_enable_workload_identity

from keyless_emulator.arm.authorization.models import seed_assignment

RG, CLUSTER = "myResourceGroup", "myAKSCluster"
CLUSTER_TYPE = "Microsoft.ContainerService/managedClusters"
EXAMPLES = Path(__file__).resolve().parent / "arm_examples" / "containerservice"
NO_30S_WAIT = 10  # seconds: far below the client's 30 s default polling interval


def _raw(pipeline_response, deserialized, headers):
    return pipeline_response.http_response.json()


def _new_cluster_body(**properties):
    return {"location": "eastus", "properties": {
        "dnsPrefix": "demo", "agentPoolProfiles": [{"name": "nodepool1", "count": 1, "mode": "System"}], **properties}}


def _requests(clients):
    """Resource Manager requests the emulator logged since the test began (the control API's own are left out)."""
    return [r for r in clients.control.request_log() if r["surface"] == "arm"]


def _set_realistic(clients, factor=0.005):
    clients.control.latency("realistic", factor)


# -- reads -------------------------------------------------------------------------------------
def test_get_seeded_cluster(clients):
    mc = clients.aks().managed_clusters.get(RG, CLUSTER)
    p = mc.properties
    assert (mc.name, mc.location, mc.type) == (CLUSTER, "eastus", CLUSTER_TYPE)
    assert mc.id == clients.group_id() + f"/providers/{CLUSTER_TYPE}/{CLUSTER}"
    assert p.provisioning_state == "Succeeded"
    assert (p.kubernetes_version, p.current_kubernetes_version) == ("1.32.6", "1.32.6")
    assert p.node_resource_group == "MC_myResourceGroup_myAKSCluster_eastus"
    assert re.fullmatch(rf"{re.escape(p.dns_prefix.lower())}-[0-9a-f]{{8}}\.hcp\.eastus\.azmk8s\.io", p.fqdn)
    assert p.oidc_issuer_profile.enabled is False and p.oidc_issuer_profile.issuer_url is None
    assert not (p.security_profile.workload_identity and p.security_profile.workload_identity.enabled)
    assert p.enable_rbac is True and p.agent_pool_profiles[0].name == "nodepool1"
    assert mc.identity.type == "SystemAssigned" and mc.identity.tenant_id == clients.info.tenant_id


def test_get_body_carries_the_keys_of_the_official_example(clients):
    example = json.loads((EXAMPLES / "ManagedClustersGet.json").read_text())["responses"]["200"]["body"]
    body = clients.aks().managed_clusters.get(RG, CLUSTER, cls=_raw)
    # Keys the example shows only because its cluster opted into them at create time; the seeded
    # cluster did not (no SSH key, no disk encryption set, no upgrade override, no availability
    # zones, no customer-provided outbound IPs). test_opt_in_fields_are_kept shows they round-trip.
    opt_in = {"linuxProfile", "diskEncryptionSetID", "upgradeSettings"}
    assert set(example) <= set(body)
    assert set(example["properties"]) - opt_in <= set(body["properties"])
    example_pool = example["properties"]["agentPoolProfiles"][0]
    assert set(example_pool) - {"availabilityZones"} <= set(body["properties"]["agentPoolProfiles"][0])
    example_net = example["properties"]["networkProfile"]
    assert set(example_net) <= set(body["properties"]["networkProfile"])
    assert (set(example_net["loadBalancerProfile"]) - {"outboundIPs"}
            <= set(body["properties"]["networkProfile"]["loadBalancerProfile"]))
    assert {"createdBy", "createdByType", "createdAt", "lastModifiedAt"} <= set(body["systemData"])
    assert body["systemData"]["createdBy"] == clients.info.client_id


def test_write_bodies_carry_the_keys_of_the_official_examples(clients):
    aks = clients.aks()
    answers = []
    hook = {"raw_response_hook": lambda r: answers.append((r.http_request.method, r.http_response.status_code,
                                                           r.http_response.read().decode()))}
    create = json.loads((EXAMPLES / "ManagedClustersCreate_SecurityProfile.json").read_text())
    request = create["parameters"]["parameters"]
    request["properties"].pop("kubernetesVersion")  # "" in the example: the default version
    # The example turns workload identity on without the OIDC issuer; the emulator refuses that
    # (see test_workload_identity_without_oidc_is_refused), so this request turns the issuer on too.
    request["properties"]["oidcIssuerProfile"] = {"enabled": True}
    aks.managed_clusters.begin_create_or_update(RG, "clustername1", request, **hook).result()
    status, first = next((s, json.loads(t)) for m, s, t in answers if m == "PUT")
    assert status == 201
    example = create["responses"]["201"]["body"]
    # the example's answer shows a disk encryption set its request never asked for; AKS shows one only when set
    assert set(example) <= set(first)
    assert set(example["properties"]) - {"diskEncryptionSetID"} <= set(first["properties"])
    assert set(example["properties"]["agentPoolProfiles"][0]) <= set(first["properties"]["agentPoolProfiles"][0])
    assert first["properties"]["securityProfile"]["defender"] == request["properties"]["securityProfile"]["defender"]
    tags = json.loads((EXAMPLES / "ManagedClustersUpdateTags.json").read_text())
    updated = aks.managed_clusters.begin_update_tags(RG, "clustername1", tags["parameters"]["parameters"]).result()
    example = tags["responses"]["200"]["body"]
    body = aks.managed_clusters.get(RG, "clustername1", cls=_raw)
    assert updated.tags == tags["parameters"]["parameters"]["tags"]
    assert set(example) <= set(body) and set(example["properties"]) - {"diskEncryptionSetID"} <= set(body["properties"])
    creds = json.loads((EXAMPLES / "ManagedClustersListClusterUserCredentials.json").read_text())
    raw = aks.managed_clusters.list_cluster_user_credentials(RG, "clustername1", cls=_raw)
    assert set(raw) == set(creds["responses"]["200"]["body"])
    assert set(raw["kubeconfigs"][0]) == set(creds["responses"]["200"]["body"]["kubeconfigs"][0])


def test_put_during_create_is_operation_not_allowed(clients):
    aks = clients.aks()
    _set_realistic(clients)
    poller = aks.managed_clusters.begin_create_or_update(RG, "demo", _new_cluster_body())
    with pytest.raises(ResourceExistsError) as e:
        aks.managed_clusters.begin_create_or_update(RG, "demo", _new_cluster_body())
    assert e.value.error.code == "OperationNotAllowed"
    assert "in progress create managed cluster operation" in e.value.error.message
    poller.result()


def test_cluster_with_a_user_assigned_identity(clients):
    uami = clients.msi().user_assigned_identities.create_or_update(RG, "control-plane", {"location": "eastus"})
    body = _new_cluster_body()
    body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {uami.id: {}}}
    mc = clients.aks().managed_clusters.begin_create_or_update(RG, "demo", body).result()
    resolved = mc.identity.user_assigned_identities[uami.id]
    assert (resolved.principal_id, resolved.client_id) == (uami.principal_id, uami.client_id)
    body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {uami.id + "-missing": {}}}
    with pytest.raises(HttpResponseError) as e:
        clients.aks().managed_clusters.begin_create_or_update(RG, "demo2", body)
    assert e.value.status_code == 400 and e.value.error.code == "InvalidParameter"


@pytest.mark.parametrize("name", ["a", "A" + "b_-9" * 15 + "z"])
def test_cluster_name_bounds_are_accepted(clients, name):
    assert clients.aks().managed_clusters.begin_create_or_update(RG, name, _new_cluster_body()).result().name == name


def test_issuer_url_is_absent_while_oidc_is_disabled(clients):
    body = clients.aks().managed_clusters.get(RG, CLUSTER, cls=_raw)
    assert body["properties"]["oidcIssuerProfile"] == {"enabled": False}


def test_list_by_group_and_by_subscription(clients):
    aks = clients.aks()
    aks.managed_clusters.begin_create_or_update(RG, "second", _new_cluster_body()).result()
    assert [c.name for c in aks.managed_clusters.list_by_resource_group(RG)] == [CLUSTER, "second"]
    assert [c.name for c in aks.managed_clusters.list()] == [CLUSTER, "second"]


def test_list_by_missing_group_is_resource_group_not_found(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        list(clients.aks().managed_clusters.list_by_resource_group("nope"))
    assert e.value.status_code == 404 and e.value.error.code == "ResourceGroupNotFound"


def test_missing_cluster_is_resource_not_found(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        clients.aks().managed_clusters.get(RG, "ghost")
    assert e.value.status_code == 404 and e.value.error.code == "ResourceNotFound"
    assert e.value.error.message == (
        f"The Resource '{CLUSTER_TYPE}/ghost' under resource group '{RG}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix")


def test_cluster_in_missing_group_is_resource_group_not_found(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        clients.aks().managed_clusters.get("nope", CLUSTER)
    assert e.value.error.code == "ResourceGroupNotFound"


# -- the article's step 1: enable the OIDC issuer and workload identity --------------------------
def test_enable_oidc_and_workload_identity_round_trip_with_the_real_poller(clients):
    aks = clients.aks()
    assert aks._config.polling_interval == 30
    started = time.monotonic()
    mc = begin_enable_workload_identity(aks).result()
    assert time.monotonic() - started < NO_30S_WAIT, "the poller must never fall into its 30 s default"
    assert mc.properties.provisioning_state == "Succeeded"
    assert mc.properties.oidc_issuer_profile.enabled is True
    assert mc.properties.security_profile.workload_identity.enabled is True
    issuer = mc.properties.oidc_issuer_profile.issuer_url
    pattern = re.escape(clients.info.url) + rf"/oidc/eastus/{clients.info.tenant_id}/[0-9a-f-]{{36}}/"
    assert re.fullmatch(pattern, issuer)
    assert aks.managed_clusters.get(RG, CLUSTER).properties.oidc_issuer_profile.issuer_url == issuer
    # the update answered 200 with an Azure-AsyncOperation the poller followed, then a final GET
    log = [(r["method"], r["status"], r["path"]) for r in _requests(clients)]
    put = next(i for i, (m, _, _) in enumerate(log) if m == "PUT")
    assert log[put][1] == 200
    assert any(re.search(r"/providers/Microsoft\.ContainerService/locations/eastus/operations/", p)
               for _, _, p in log[put + 1:])


def test_round_trip_keeps_server_owned_fields(clients):
    aks = clients.aks()
    before = aks.managed_clusters.get(RG, CLUSTER, cls=_raw)
    begin_enable_workload_identity(aks).result()
    after = aks.managed_clusters.get(RG, CLUSTER, cls=_raw)
    for key in ("fqdn", "azurePortalFQDN", "nodeResourceGroup", "dnsPrefix", "resourceUID", "identityProfile"):
        assert after["properties"][key] == before["properties"][key], key
    assert after["identity"] == before["identity"]
    lb = "loadBalancerProfile"   # the SDK leaves the read-only effectiveOutboundIPs out of the update body
    assert after["properties"]["networkProfile"][lb]["effectiveOutboundIPs"] == \
        before["properties"]["networkProfile"][lb]["effectiveOutboundIPs"]
    assert after["properties"]["networkProfile"] == before["properties"]["networkProfile"]
    assert after["systemData"]["createdAt"] == before["systemData"]["createdAt"]
    assert after["eTag"] != before["eTag"]


def test_an_update_cannot_overwrite_server_filled_effective_outbound_ips(clients):
    aks = clients.aks()
    before = aks.managed_clusters.get(RG, CLUSTER, cls=_raw)
    body = json.loads(json.dumps(before))
    body["properties"]["networkProfile"]["loadBalancerProfile"]["effectiveOutboundIPs"] = [{"id": "/made/up"}]
    body["properties"]["networkProfile"]["loadBalancerProfile"]["idleTimeoutInMinutes"] = 10
    for key in ("provisioningState", "powerState"):
        body["properties"].pop(key, None)
    aks.managed_clusters.begin_create_or_update(RG, CLUSTER, body).result()
    after = aks.managed_clusters.get(RG, CLUSTER, cls=_raw)["properties"]["networkProfile"]["loadBalancerProfile"]
    assert after["idleTimeoutInMinutes"] == 10                                   # the writable field changed
    assert after["effectiveOutboundIPs"] == \
        before["properties"]["networkProfile"]["loadBalancerProfile"]["effectiveOutboundIPs"]


def test_realistic_latency_shows_updating_then_succeeded(clients):
    aks = clients.aks()
    _set_realistic(clients)
    started = time.monotonic()
    poller = begin_enable_workload_identity(aks)
    during = aks.managed_clusters.get(RG, CLUSTER)
    assert during.properties.provisioning_state == "Updating"
    assert during.properties.oidc_issuer_profile.enabled is False, "the old document until the operation settles"
    assert during.properties.oidc_issuer_profile.issuer_url is None
    mc = poller.result()
    assert time.monotonic() - started < NO_30S_WAIT
    assert mc.properties.provisioning_state == "Succeeded" and mc.properties.oidc_issuer_profile.issuer_url


def test_second_write_during_an_operation_is_operation_not_allowed(clients):
    aks = clients.aks()
    _set_realistic(clients)
    poller = begin_enable_workload_identity(aks)
    with pytest.raises(ResourceExistsError) as e:
        aks.managed_clusters.begin_update_tags(RG, CLUSTER, {"tags": {"a": "b"}})
    assert e.value.status_code == 409 and e.value.error.code == "OperationNotAllowed"
    assert e.value.error.message.startswith(
        "Operation is not allowed because there's an in progress update managed cluster operation")
    with pytest.raises(ResourceExistsError) as e:
        aks.managed_clusters.begin_delete(RG, CLUSTER)
    assert e.value.error.code == "OperationNotAllowed"
    poller.result()
    aks.managed_clusters.begin_update_tags(RG, CLUSTER, {"tags": {"a": "b"}}).result()


def test_oidc_cannot_be_disabled_once_enabled(clients):
    aks = clients.aks()
    begin_enable_workload_identity(aks).result()
    mc = aks.managed_clusters.get(RG, CLUSTER)
    mc.properties.oidc_issuer_profile.enabled = False
    with pytest.raises(HttpResponseError) as e:
        aks.managed_clusters.begin_create_or_update(RG, CLUSTER, mc)
    assert e.value.status_code == 400 and e.value.error.code == "BadRequest"
    assert e.value.error.message == "OIDC issuer feature cannot be disabled."


def test_a_put_without_the_oidc_profile_keeps_it_enabled(clients):
    aks = clients.aks()
    begin_enable_workload_identity(aks).result()
    body = aks.managed_clusters.get(RG, CLUSTER, cls=_raw)
    del body["properties"]["oidcIssuerProfile"]
    mc = aks.managed_clusters.begin_create_or_update(RG, CLUSTER, body).result()
    assert mc.properties.oidc_issuer_profile.enabled is True


def test_workload_identity_without_oidc_is_refused(clients):
    from azure.mgmt.containerservice.models import (
        ManagedClusterSecurityProfile,
        ManagedClusterSecurityProfileWorkloadIdentity,
    )

    aks = clients.aks()
    mc = aks.managed_clusters.get(RG, CLUSTER)
    mc.properties.security_profile = ManagedClusterSecurityProfile(
        workload_identity=ManagedClusterSecurityProfileWorkloadIdentity(enabled=True))
    with pytest.raises(HttpResponseError) as e:
        aks.managed_clusters.begin_create_or_update(RG, CLUSTER, mc)
    assert e.value.status_code == 400 and e.value.error.code == "InvalidParameter"
    assert "OIDC issuer" in e.value.error.message and "workloadIdentity" in e.value.error.message
    assert aks.managed_clusters.get(RG, CLUSTER).properties.provisioning_state == "Succeeded"


# -- create, tags, delete ----------------------------------------------------------------------
def test_create_answers_201_creating_then_succeeds(clients):
    aks = clients.aks()
    _set_realistic(clients)
    poller = aks.managed_clusters.begin_create_or_update(RG, "demo", _new_cluster_body(
        oidcIssuerProfile={"enabled": True}, securityProfile={"workloadIdentity": {"enabled": True}}))
    during = aks.managed_clusters.get(RG, "demo")
    assert during.properties.provisioning_state == "Creating"
    assert during.properties.agent_pool_profiles[0].provisioning_state == "Creating"
    mc = poller.result()
    assert mc.properties.provisioning_state == "Succeeded"
    assert mc.properties.security_profile.workload_identity.enabled is True
    assert mc.properties.oidc_issuer_profile.issuer_url.endswith("/")
    assert mc.properties.fqdn.startswith("demo-") and mc.properties.dns_prefix == "demo"
    put = next(r for r in _requests(clients) if r["method"] == "PUT")
    assert put["status"] == 201


def test_create_fills_agent_pool_defaults_and_refuses_bad_pools(clients):
    aks = clients.aks()
    mc = aks.managed_clusters.begin_create_or_update(RG, "demo", _new_cluster_body()).result()
    pool = mc.properties.agent_pool_profiles[0]
    assert (pool.count, pool.mode, pool.os_type, pool.orchestrator_version) == (1, "System", "Linux", "1.32.6")
    with pytest.raises(HttpResponseError) as e:
        aks.managed_clusters.begin_create_or_update(RG, "demo2", _new_cluster_body(
            agentPoolProfiles=[{"name": "Bad-Pool", "count": 1}]))
    assert e.value.status_code == 400 and e.value.error.code == "InvalidParameter"
    assert "agentPoolProfile.name" in e.value.error.message


def test_opt_in_fields_are_kept(clients):
    aks = clients.aks()
    ssh = {"adminUsername": "azureuser", "ssh": {"publicKeys": [{"keyData": "ssh-rsa AAAAB3 demo"}]}}
    des = clients.group_id() + "/providers/Microsoft.Compute/diskEncryptionSets/des"
    aks.managed_clusters.begin_create_or_update(RG, "demo", _new_cluster_body(
        linuxProfile=ssh, diskEncryptionSetID=des, agentPoolProfiles=[
            {"name": "nodepool1", "count": 1, "mode": "System", "availabilityZones": ["1", "2"]}])).result()
    body = aks.managed_clusters.get(RG, "demo", cls=_raw)
    assert body["properties"]["linuxProfile"] == ssh and body["properties"]["diskEncryptionSetID"] == des
    assert body["properties"]["agentPoolProfiles"][0]["availabilityZones"] == ["1", "2"]


def test_update_tags_is_a_long_running_patch(clients):
    aks = clients.aks()
    started = time.monotonic()
    mc = aks.managed_clusters.begin_update_tags(RG, CLUSTER, {"tags": {"env": "workshop"}}).result()
    assert time.monotonic() - started < NO_30S_WAIT
    assert mc.tags == {"env": "workshop"} and mc.properties.provisioning_state == "Succeeded"
    patch = next(r for r in _requests(clients) if r["method"] == "PATCH")
    assert patch["status"] == 202


def test_delete_removes_the_cluster_and_its_private_meta(clients):
    aks = clients.aks()
    cluster_id = clients.group_id() + f"/providers/{CLUSTER_TYPE}/{CLUSTER}"
    assert cluster_id.lower() in clients.control.snapshot()["resources"]["meta"]
    started = time.monotonic()
    aks.managed_clusters.begin_delete(RG, CLUSTER).result()
    assert time.monotonic() - started < NO_30S_WAIT
    with pytest.raises(ResourceNotFoundError):
        aks.managed_clusters.get(RG, CLUSTER)
    assert cluster_id.lower() not in clients.control.snapshot()["resources"]["meta"]
    assert next(r for r in _requests(clients) if r["method"] == "DELETE")["status"] == 202


def test_delete_shows_deleting_while_it_runs(clients):
    aks = clients.aks()
    _set_realistic(clients)
    poller = aks.managed_clusters.begin_delete(RG, CLUSTER)
    assert aks.managed_clusters.get(RG, CLUSTER).properties.provisioning_state == "Deleting"
    poller.result()
    assert [c.name for c in aks.managed_clusters.list()] == []


def test_delete_of_a_missing_cluster_is_204(clients):
    clients.aks().managed_clusters.begin_delete(RG, "ghost").result()
    assert next(r for r in _requests(clients) if r["method"] == "DELETE")["status"] == 204


# -- kubeconfig --------------------------------------------------------------------------------
def test_user_kubeconfig_points_at_the_emulator_api_server(clients):
    creds = clients.aks().managed_clusters.list_cluster_user_credentials(RG, CLUSTER)
    assert [k.name for k in creds.kubeconfigs] == ["clusterUser"]
    config = yaml.safe_load(creds.kubeconfigs[0].value.decode("utf-8"))
    cluster = config["clusters"][0]["cluster"]
    assert re.fullmatch(re.escape(clients.info.url) + r"/k8s/[0-9a-f]+", cluster["server"])
    assert base64.b64decode(cluster["certificate-authority-data"]) == Path(clients.info.ca_cert).read_bytes()
    assert config["current-context"] == CLUSTER
    assert config["users"][0]["name"] == f"clusterUser_{RG}_{CLUSTER}" and config["users"][0]["user"]["token"]


def test_user_kubeconfig_of_a_missing_cluster(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        clients.aks().managed_clusters.list_cluster_user_credentials(RG, "ghost")
    assert e.value.error.code == "ResourceNotFound"


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["-starts-with-hyphen", "ends_", "has.dot", "x" * 64])
def test_invalid_cluster_name_is_refused(clients, name):
    with pytest.raises(HttpResponseError) as e:
        clients.aks().managed_clusters.begin_create_or_update(RG, name, _new_cluster_body())
    assert e.value.status_code == 400 and e.value.error.code == "InvalidResourceName"
    assert e.value.error.target == "name"


def test_create_in_missing_group_is_resource_group_not_found(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        clients.aks().managed_clusters.begin_create_or_update("nope", "demo", _new_cluster_body())
    assert e.value.status_code == 404 and e.value.error.code == "ResourceGroupNotFound"


def test_invalid_name_in_missing_group_is_resource_group_not_found(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        clients.aks().managed_clusters.begin_create_or_update("nope", "-bad-", _new_cluster_body())
    assert e.value.error.code == "ResourceGroupNotFound"


def test_if_match_star_needs_an_existing_cluster(clients):
    from azure.core import MatchConditions

    with pytest.raises(HttpResponseError) as e:
        clients.aks().managed_clusters.begin_create_or_update(RG, "demo", _new_cluster_body(), etag="*",
                                                              match_condition=MatchConditions.IfPresent)
    assert e.value.status_code == 412 and e.value.error.code == "PreconditionFailed"


def test_if_none_match_star_refuses_to_overwrite(clients):
    from azure.core import MatchConditions

    aks = clients.aks()
    mc = aks.managed_clusters.get(RG, CLUSTER)
    with pytest.raises(HttpResponseError) as e:
        aks.managed_clusters.begin_create_or_update(RG, CLUSTER, mc, etag="*",
                                                    match_condition=MatchConditions.IfMissing)
    assert e.value.status_code == 412 and e.value.error.code == "PreconditionFailed"


def test_create_without_location_is_refused(clients):
    with pytest.raises(HttpResponseError) as e:
        clients.aks().managed_clusters.begin_create_or_update(RG, "demo", {"properties": {}})
    assert e.value.status_code == 400 and e.value.error.code == "InvalidRequestContent"
    assert "'location'" in e.value.error.message


def test_unsupported_kubernetes_version_is_refused(clients):
    with pytest.raises(HttpResponseError) as e:
        clients.aks().managed_clusters.begin_create_or_update(RG, "demo", _new_cluster_body(kubernetesVersion="1.20.0"))
    assert e.value.status_code == 400 and e.value.error.code == "K8sVersionNotSupported"


def test_dns_prefix_cannot_change(clients):
    aks = clients.aks()
    body = aks.managed_clusters.get(RG, CLUSTER, cls=_raw)
    body["properties"]["dnsPrefix"] = "other"
    with pytest.raises(HttpResponseError) as e:
        aks.managed_clusters.begin_create_or_update(RG, CLUSTER, body)
    assert e.value.status_code == 400 and e.value.error.code == "PropertyChangeNotAllowed"


def test_location_cannot_change(clients):
    aks = clients.aks()
    body = aks.managed_clusters.get(RG, CLUSTER, cls=_raw)
    body["location"] = "westeurope"
    with pytest.raises(HttpResponseError) as e:
        aks.managed_clusters.begin_create_or_update(RG, CLUSTER, body)
    assert e.value.status_code == 400 and e.value.error.code == "InvalidResourceLocation"


def test_stale_if_match_is_precondition_failed(clients):
    from azure.core import MatchConditions

    aks = clients.aks()
    mc = aks.managed_clusters.get(RG, CLUSTER)
    with pytest.raises(HttpResponseError) as e:
        aks.managed_clusters.begin_create_or_update(RG, CLUSTER, mc, etag="not-the-etag",
                                                    match_condition=MatchConditions.IfNotModified)
    assert e.value.status_code == 412 and e.value.error.code == "PreconditionFailed"
    aks.managed_clusters.begin_create_or_update(RG, CLUSTER, mc, etag=mc.e_tag,
                                                match_condition=MatchConditions.IfNotModified).result()


# -- RBAC --------------------------------------------------------------------------------------
@pytest.fixture
def principal_with(fresh, clients):
    """A second service principal of the same tenant holding only `role` on the subscription, and its AKS client."""
    def make(role: str):
        state = fresh.backend.state
        with state.lock:
            principal = state.add_principal(clients.info.tenant_id, f"workshop-{role.lower()}", has_secret=True)
            seed_assignment(state, f"/subscriptions/{clients.sub}", principal.object_id, role)
            secret = state.client_secret(principal)
        return clients.aks(credential=clients.credential(client_id=principal.app_id, client_secret=secret)), principal
    return make


@pytest.fixture
def reader(principal_with):
    return principal_with("Reader")


def test_contributor_may_write_and_get_credentials(principal_with):
    aks, principal = principal_with("Contributor")
    mc = begin_enable_workload_identity(aks).result()
    assert mc.properties.security_profile.workload_identity.enabled is True
    assert mc.system_data.last_modified_by == principal.app_id
    assert aks.managed_clusters.list_cluster_user_credentials(RG, CLUSTER).kubeconfigs[0].value


def test_reader_may_read_but_not_write(clients, reader):
    aks, principal = reader
    assert aks.managed_clusters.get(RG, CLUSTER).name == CLUSTER
    with pytest.raises(HttpResponseError) as e:
        begin_enable_workload_identity(aks)
    assert e.value.status_code == 403 and e.value.error.code == "AuthorizationFailed"
    assert "Microsoft.ContainerService/managedClusters/write" in e.value.error.message
    assert principal.object_id in e.value.error.message
    with pytest.raises(HttpResponseError) as e:
        aks.managed_clusters.list_cluster_user_credentials(RG, CLUSTER)
    assert e.value.status_code == 403
    assert "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action" in e.value.error.message
    with pytest.raises(HttpResponseError) as e:
        aks.managed_clusters.begin_delete(RG, CLUSTER)
    assert e.value.status_code == 403 and e.value.error.code == "AuthorizationFailed"


def test_update_tags_of_a_missing_cluster_is_resource_not_found(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        clients.aks().managed_clusters.begin_update_tags(RG, "ghost", {"tags": {}})
    assert e.value.status_code == 404 and e.value.error.code == "ResourceNotFound"


def test_delete_in_a_missing_group_is_resource_group_not_found(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        clients.aks().managed_clusters.begin_delete("nope", CLUSTER)
    assert e.value.error.code == "ResourceGroupNotFound"


# -- the rules without HTTP --------------------------------------------------------------------
def test_default_dns_prefix_is_derived_like_the_cli():
    from keyless_emulator.arm.containerservice.documents import default_dns_prefix

    assert default_dns_prefix("myAKSCluster", "myResourceGroup", "48d3fc31-07ef") == "myAKSClust-myResourceGroup-48d3fc"
    assert default_dns_prefix("1cluster", "rg.with.dots", "abcdef12") == "a1cluster-rgwithdots-abcdef"


def test_supported_versions_are_the_one_the_emulator_runs():
    from keyless_emulator.arm.containerservice.documents import supported_version

    assert [supported_version(v) for v in ("", None, "1.32", "1.32.6", "1.31.2")] == [
        "1.32.6", "1.32.6", "1.32", "1.32.6", None]


def _bare_state():
    from keyless_emulator.arm.resources.models import create_or_update_group
    from keyless_emulator.clock import Clock
    from keyless_emulator.ids import IdFactory, SecretFactory
    from keyless_emulator.state import EmulatorState

    state = EmulatorState(IdFactory("test"), SecretFactory(b"k" * 32), Clock())
    sub = state.add_subscription(state.add_tenant("t"), "S").id
    create_or_update_group(state, sub, RG, {"location": "eastus"})
    return state, sub


def test_seed_cluster_honours_its_switches():
    from keyless_emulator.arm.containerservice.models import seed_cluster
    from keyless_emulator.clusters import cluster_meta, oidc_enabled, workload_identity_enabled

    state, sub = _bare_state()
    doc = seed_cluster(state, sub, RG, "seeded", "eastus", workload_identity=True, oidc_issuer=True)
    assert oidc_enabled(doc) and workload_identity_enabled(doc)
    assert doc["properties"]["provisioningState"] == "Succeeded" and state.operations == {}
    assert "issuerURL" not in doc["properties"]["oidcIssuerProfile"], "URLs are rendered at answer time, never stored"
    assert set(cluster_meta(state, doc["id"])) == {"issuer_id", "cluster_key", "createdTime", "changedTime"}
    plain = seed_cluster(state, sub, RG, "plain", "eastus", workload_identity=False, oidc_issuer=False)
    assert not oidc_enabled(plain) and not workload_identity_enabled(plain)


def test_seed_cluster_refuses_workload_identity_without_oidc():
    from keyless_emulator.arm.containerservice.models import seed_cluster
    from keyless_emulator.arm.errors import ArmError

    state, sub = _bare_state()
    with pytest.raises(ArmError) as e:
        seed_cluster(state, sub, RG, "seeded", "eastus", workload_identity=True, oidc_issuer=False)
    assert e.value.code == "InvalidParameter"
