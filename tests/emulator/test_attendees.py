"""Workshop attendees, as the facilitator creates them: `python -m keyless_emulator attendees add|list|remove|reset`
against a background emulator, each attendee's profile and credential card, what an attendee's own credentials
reach (their tenant; nothing of another's, nothing of the control API), and resets scoped to one tenant.

Across tenants Resource Manager answers 401 InvalidAuthenticationTokenTenant before any RBAC check (the token
is valid but issued by the wrong tenant for the subscription addressed; see test_tenants.py), so that is the
answer asserted when one attendee addresses another's subscription.
"""
from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.identity import ClientSecretCredential
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.resources import ResourceManagementClient
from kit.attendees import credential, emulator_with_attendees, profile
from kit.processes import cli

from keyless_emulator import AttendeeProfile, ControlClient, ControlError, EmulatorInfo

ARM_SCOPE = "https://management.azure.com/.default"
GROUP = "myResourceGroup"
ATTENDEES = ("alice", "bob", "carol")


@pytest.fixture(scope="module")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, EmulatorInfo]]:
    """A background emulator (no kubelet) with three attendees added through the command line."""
    home = tmp_path_factory.mktemp("workshop")
    with emulator_with_attendees(home, ATTENDEES) as (info, _):
        yield home, info


def arm(cls: type, p: AttendeeProfile, subscription: str | None = None) -> object:
    return cls(credential(p), subscription or p.subscription_id, base_url=p.url, connection_verify=p.ca_cert,
               polling_interval=0)


def test_add_writes_a_private_profile_per_attendee_without_the_admin_key(workshop):
    home, info = workshop
    for name in ATTENDEES:
        folder = home / "attendees" / name
        path = folder / "profile.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        data = json.loads(path.read_text())
        assert set(data) == {"name", "url", "ca_cert", "tenant_id", "subscription_id", "client_id", "client_secret"}
        assert data["name"] == name and data["url"] == info.url and data["ca_cert"] == "ca.pem"
        assert info.admin_key not in path.read_text() and info.client_secret not in path.read_text()
        assert (folder / "ca.pem").read_bytes() == Path(info.ca_cert).read_bytes()
    ids = {profile(home, n).tenant_id for n in ATTENDEES} | {info.tenant_id}
    assert len(ids) == 4


def test_credential_sheet_has_one_private_card_per_attendee(workshop):
    home, info = workshop
    sheet = home / "attendees" / "credentials.html"
    assert stat.S_IMODE(sheet.stat().st_mode) == 0o600
    text = sheet.read_text()
    assert text.count('<section class="card">') == 3
    for name in ATTENDEES:
        p = profile(home, name)
        assert p.client_secret in text and p.subscription_id in text
        assert f"python -m keyless run --attendee {name}" in text
    assert info.admin_key not in text and "http://" not in text.replace(info.url, "")


def test_list_names_every_attendee_with_tenant_and_profile(workshop):
    home, _ = workshop
    listed = cli(home, "attendees", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(ATTENDEES)
    assert profile(home, "bob").tenant_id in lines[1] and str(home / "attendees" / "bob") in lines[1]
    assert profile(home, "bob").client_secret not in listed.stdout


def test_an_attendee_signs_in_and_sees_only_their_seeded_subscription(workshop):
    home, _ = workshop
    alice = profile(home, "alice")
    resources = arm(ResourceManagementClient, alice)
    types = {r.type for r in resources.resources.list_by_resource_group(GROUP)}
    assert {"Microsoft.ContainerService/managedClusters", "Microsoft.CognitiveServices/accounts"} <= types
    token = credential(alice).get_token(ARM_SCOPE).token
    subs = requests.get(alice.url + "/subscriptions", params={"api-version": "2022-12-01"},
                        headers={"Authorization": f"Bearer {token}"}, verify=alice.ca_cert).json()
    assert [s["subscriptionId"] for s in subs["value"]] == [alice.subscription_id]


def test_an_attendee_reaches_nothing_of_another_attendee(workshop):
    home, _ = workshop
    alice, bob = profile(home, "alice"), profile(home, "bob")
    with pytest.raises(HttpResponseError) as read:
        arm(ResourceManagementClient, alice, bob.subscription_id).resource_groups.get(GROUP)
    assert (read.value.status_code, read.value.error.code) == (401, "InvalidAuthenticationTokenTenant")
    with pytest.raises(HttpResponseError) as write:
        arm(ManagedServiceIdentityClient, alice, bob.subscription_id).user_assigned_identities.create_or_update(
            GROUP, "intruder", {"location": "eastus"})
    assert (write.value.status_code, write.value.error.code) == (401, "InvalidAuthenticationTokenTenant")
    with pytest.raises(ClientAuthenticationError) as signin:  # alice's app is unknown in bob's directory
        ClientSecretCredential(bob.tenant_id, alice.client_id, alice.client_secret, authority=alice.url,
                               disable_instance_discovery=True, connection_verify=alice.ca_cert).get_token(ARM_SCOPE)
    assert "AADSTS700016" in str(signin.value)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/_emulator/snapshot"), ("POST", "/_emulator/reset"), ("GET", "/_emulator/tenants"),
    ("POST", "/_emulator/tenants/bob/reset"), ("DELETE", "/_emulator/tenants/bob"), ("GET", "/_emulator/requests"),
    ("PUT", "/_emulator/faults"), ("GET", "/_emulator/dashboard/progress"),
])
def test_the_control_api_refuses_an_attendees_credentials(workshop, method, path):
    home, _ = workshop
    alice = profile(home, "alice")
    token = credential(alice).get_token(ARM_SCOPE).token
    r = requests.request(method, alice.url + path, json={}, headers={"Authorization": f"Bearer {token}"},
                         verify=alice.ca_cert)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "Forbidden"), path


def _identities(p: AttendeeProfile) -> list[str]:
    return sorted(i.name for i in arm(ManagedServiceIdentityClient, p).user_assigned_identities.list_by_resource_group(
        GROUP))


def test_resetting_one_attendee_leaves_the_others_intact(workshop):
    home, info = workshop
    people = {n: profile(home, n) for n in ATTENDEES}
    for name, p in people.items():
        arm(ManagedServiceIdentityClient, p).user_assigned_identities.create_or_update(
            GROUP, f"id-{name}", {"location": "eastus"})
    ControlClient.of(info).faults({"route": "userAssignedIdentities", "method": "DELETE", "status": 500})
    try:
        done = cli(home, "attendees", "reset", "bob")
        assert done.returncode == 0, done.stderr
        assert _identities(people["bob"]) == []                      # bob is back at before-you-begin
        assert _identities(people["alice"]) == ["id-alice"]         # the others keep their work
        assert _identities(people["carol"]) == ["id-carol"]
        own = arm(ResourceManagementClient, people["bob"]).resources.list_by_resource_group(GROUP)
        assert {"Microsoft.ContainerService/managedClusters"} <= {r.type for r in own}  # seeded again, same login
        assert len(ControlClient.of(info).get_faults()) == 1         # the emulator's switches are not a tenant's
    finally:
        ControlClient.of(info).faults()


def test_reset_or_remove_of_an_unknown_attendee_names_it(workshop):
    home, _ = workshop
    for action in ("reset", "remove"):
        done = cli(home, "attendees", action, "nobody")
        assert done.returncode == 1
        assert "error: nobody: no tenant named 'nobody'" in done.stderr


def test_bad_attendee_names_are_refused_before_anything_changes(workshop):
    home, info = workshop
    before = ControlClient.of(info).tenants()
    for bad in ("Dave", "x-", "contoso"):
        done = cli(home, "attendees", "add", "erin", bad)
        assert done.returncode == 2 and f"attendee {bad!r}: name must be 2-40 characters" in done.stderr
    assert ControlClient.of(info).tenants() == before


def test_the_emulators_own_tenant_cannot_be_removed(workshop):
    _, info = workshop
    with pytest.raises(ControlError) as e:
        ControlClient.of(info).remove_tenant("contoso")
    assert e.value.status == 409 and json.loads(e.value.body)["error"]["code"] == "DefaultTenant"


def test_remove_ends_the_attendees_access_and_deletes_the_profile(workshop):
    home, info = workshop
    added = cli(home, "attendees", "add", "dave")
    assert added.returncode == 0, added.stderr
    dave = profile(home, "dave")
    assert _identities(dave) == []
    removed = cli(home, "attendees", "remove", "dave")
    assert removed.returncode == 0, removed.stderr
    assert not (home / "attendees" / "dave").exists()
    assert "dave" not in (home / "attendees" / "credentials.html").read_text()
    with pytest.raises(ClientAuthenticationError) as e:  # the copy of the profile an attendee kept
        ClientSecretCredential(dave.tenant_id, dave.client_id, dave.client_secret, authority=dave.url,
                               disable_instance_discovery=True, connection_verify=info.ca_cert).get_token(ARM_SCOPE)
    assert "AADSTS90002" in str(e.value) and dave.tenant_id in str(e.value)
