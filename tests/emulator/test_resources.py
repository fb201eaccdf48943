"""Microsoft.Resources through azure-mgmt-resource: groups, listing with $filter, LRO delete."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from kit import wait_for

CLUSTER_TYPE = "Microsoft.ContainerService/managedClusters"


def test_get_seeded_group(clients):
    g = clients.resources().resource_groups.get("myResourceGroup")
    assert (g.name, g.location, g.properties.provisioning_state) == ("myResourceGroup", "eastus", "Succeeded")
    assert g.id == clients.group_id()


def test_group_lookup_is_case_insensitive(clients):
    assert clients.resources().resource_groups.get("MYRESOURCEGROUP").name == "myResourceGroup"


def test_missing_group_is_resource_group_not_found(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        clients.resources().resource_groups.get("nope")
    assert e.value.error.code == "ResourceGroupNotFound"
    assert e.value.error.message == "Resource group 'nope' could not be found."


def test_create_list_and_delete_group_with_the_real_poller(clients):
    rm = clients.resources()
    created = rm.resource_groups.create_or_update("rg-test", {"location": "West Europe", "tags": {"a": "b"}})
    assert (created.location, created.tags) == ("westeurope", {"a": "b"})
    assert {g.name for g in rm.resource_groups.list()} == {"myResourceGroup", "rg-test"}
    started = time.monotonic()
    rm.resource_groups.begin_delete("rg-test").result()
    assert time.monotonic() - started < 5, "the poller must not fall into its 30 s default interval"
    assert not rm.resource_groups.check_existence("rg-test")


def test_invalid_group_name_is_refused(clients):
    with pytest.raises(HttpResponseError) as e:
        clients.resources().resource_groups.create_or_update("bad name!", {"location": "eastus"})
    assert e.value.status_code == 400 and e.value.error.code == "InvalidResourceName"


def test_missing_location_is_refused(clients):
    with pytest.raises(HttpResponseError) as e:
        clients.resources().resource_groups.create_or_update("rg-x", {})
    assert e.value.error.code == "InvalidRequestContent"


def test_list_resources_of_a_group_filtered_by_type(clients):
    items = list(clients.resources().resources.list_by_resource_group(
        "myResourceGroup", filter=f"resourceType eq '{CLUSTER_TYPE}'"))
    assert [(i.name, i.type) for i in items] == [("myAKSCluster", CLUSTER_TYPE)]
    assert items[0].id == clients.group_id() + "/providers/Microsoft.ContainerService/managedClusters/myAKSCluster"


def test_list_resources_of_missing_group(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        list(clients.resources().resources.list_by_resource_group("nope"))
    assert e.value.error.code == "ResourceGroupNotFound"


def test_subscription_level_list_with_az_style_filter(clients):
    items = list(clients.resources().resources.list(
        filter=f"resourceGroup eq 'myResourceGroup' and resourceType eq '{CLUSTER_TYPE}'"))
    assert [i.name for i in items] == ["myAKSCluster"]


def test_unsupported_filter_is_refused(clients):
    with pytest.raises(HttpResponseError) as e:
        list(clients.resources().resources.list(filter="substringof('a', name)"))
    assert e.value.error.code == "InvalidFilterInQueryString"


def test_deleting_a_group_deletes_its_resources(clients):
    rm = clients.resources()
    rm.resource_groups.begin_delete("myResourceGroup").result()
    assert list(rm.resources.list()) == []


def test_every_response_carries_a_request_id(clients):
    r = requests.get(f"{clients.info.url}/subscriptions/{clients.sub}/resourcegroups/nope?api-version=2025-04-01",
                     headers={"x-emulator-admin-key": clients.info.admin_key}, verify=clients.verify)
    assert r.status_code == 401  # the admin key is not a Resource Manager credential
    assert r.headers["x-ms-request-id"]
    assert "WWW-Authenticate" in r.headers


def test_group_delete_cancels_pending_operations_beneath_it(clients, fresh):
    """A cluster update still running when its group's deletion settles must not bring the cluster back.
    The update lasts 6 s (300 s x 0.02): long enough to be still running when the group is deleted on a
    loaded machine (0.6 s was not), short enough to wait out."""
    aks, rm = clients.aks(), clients.resources()
    clients.control.latency("realistic", 0.02)
    cluster = aks.managed_clusters.get("myResourceGroup", "myAKSCluster")
    cluster.oidc_issuer_profile = {"enabled": True}
    aks.managed_clusters.begin_create_or_update("myResourceGroup", "myAKSCluster", cluster, polling=False)
    clients.control.latency("instant")
    (update,) = [o for o in clients.control.snapshot()["operations"] if o["kind"] == "put"]  # still in progress
    rm.resource_groups.begin_delete("myResourceGroup").result()
    assert clients.control.snapshot()["operations"] == []  # the deletion ended the update too
    # past the update's realistic duration (300 s x 0.02), when it would have settled
    wait_for(lambda: time.time() > update["settle_after"], 30, "the update's settle time")
    assert list(rm.resources.list()) == []
    assert not rm.resource_groups.check_existence("myResourceGroup")


def test_expanded_listing_carries_created_and_changed_times_and_provisioning_state(clients):
    """What `az resource list` asks for ($expand=createdTime,changedTime,provisioningState)."""
    rm = clients.resources()
    clients.msi().user_assigned_identities.create_or_update("myResourceGroup", "myIdentity", {"location": "eastus"})
    listed = list(rm.resources.list_by_resource_group("myResourceGroup",
                                                      expand="createdTime,changedTime,provisioningState"))
    assert {r.name for r in listed} >= {"myAKSCluster", "myOpenAIAccount", "myIdentity"}
    for r in listed:
        assert r.created_time is not None and r.changed_time is not None and r.created_time <= r.changed_time, r.name
        assert r.provisioning_state == "Succeeded", r.name
    plain = next(iter(rm.resources.list_by_resource_group("myResourceGroup")))
    assert (plain.created_time, plain.provisioning_state) == (None, None)


def test_group_delete_answers_202_with_a_location_as_the_official_example(clients):
    """The spec's delete example (ForceDeleteVMsInResourceGroup.json, the plain delete's only one): 202 with
    `location`, which the SDK's poller follows to the end."""
    example_path = Path(__file__).resolve().parent / "arm_examples" / "resources" / "ForceDeleteVMsInResourceGroup.json"
    expected = json.loads(example_path.read_text())["responses"]["202"]["headers"]
    seen: list = []
    rm = clients.resources()
    rm.resource_groups.create_or_update("rg-example", {"location": "eastus"})
    rm.resource_groups.begin_delete("rg-example", raw_response_hook=lambda r: seen.append(r.http_response)).result()
    assert (seen[0].request.method, seen[0].status_code) == ("DELETE", 202)
    assert set(expected) <= {k.lower() for k in seen[0].headers}
    assert rm.resource_groups.check_existence("rg-example") is False

def _locations(clients, subscription: str):
    from azure.core.rest import HttpRequest
    return clients.resources().send_request(HttpRequest(
        "GET", f"{clients.info.url}/subscriptions/{subscription}/locations?api-version=2022-12-01"))


def test_the_subscription_lists_azure_regions_as_azure_does(clients):
    answer = _locations(clients, clients.sub)
    assert answer.status_code == 200
    regions = {v["name"]: v for v in answer.json()["value"]}
    assert {"eastus", "westeurope", "swedencentral", "japaneast"} <= set(regions) and "mars" not in regions
    east = regions["eastus"]
    assert east["id"] == f"/subscriptions/{clients.sub}/locations/eastus" and east["type"] == "Region"
    assert (east["displayName"], east["regionalDisplayName"]) == ("East US", "(US) East US")
    assert east["metadata"]["regionType"] == "Physical" and east["metadata"]["physicalLocation"] == "Virginia"
    assert east["metadata"]["pairedRegion"] == [{"name": "westus",
                                                 "id": f"/subscriptions/{clients.sub}/locations/westus"}]
    assert clients.resources().resource_groups.get("myResourceGroup").location in regions


def test_locations_of_an_unknown_subscription_are_subscription_not_found(clients):
    answer = _locations(clients, "12345678-1234-1234-1234-123456789012")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "SubscriptionNotFound"


def test_a_region_azure_does_not_offer_is_location_not_available(clients):
    with pytest.raises(HttpResponseError) as e:
        clients.resources().resource_groups.create_or_update("rg-mars", {"location": "mars"})
    assert e.value.status_code == 400 and e.value.error.code == "LocationNotAvailableForResourceType"
    assert e.value.error.message.startswith("The provided location 'mars' is not available for resource type "
                                            "'Microsoft.Resources/resourceGroups'. List of available regions for the "
                                            "resource type is 'eastus,eastus2,")
    with pytest.raises(HttpResponseError) as e:
        clients.msi().user_assigned_identities.create_or_update("myResourceGroup", "marsIdentity",
                                                                {"location": "mars"})
    assert e.value.error.code == "LocationNotAvailableForResourceType"
    assert "'Microsoft.ManagedIdentity/userAssignedIdentities'" in e.value.error.message
    assert [g.name for g in clients.resources().resource_groups.list() if g.name == "rg-mars"] == []
