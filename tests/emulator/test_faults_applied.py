"""Faults like the real world: a fault hits before the service runs (nothing changes) or, with
`applied: true`, after it committed the change — the lost answer every cloud client must survive.
Dropped connections are logged as dropped, with the status the service had answered, if any."""
from __future__ import annotations

import pytest
import requests

from keyless_emulator import ControlClient

IDENTITY = "faultIdentity"


def _identity_url(clients) -> str:
    return (f"{clients.info.url}{clients.group_id()}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
            f"{IDENTITY}?api-version=2024-11-30")


def _put(clients) -> requests.Response:
    token = clients.cred.get_token("https://management.azure.com/.default").token
    return requests.put(_identity_url(clients), json={"location": "eastus"}, verify=clients.verify, timeout=30,
                        headers={"Authorization": f"Bearer {token}"})


def _exists(clients) -> bool:
    names = [i.name for i in clients.msi().user_assigned_identities.list_by_resource_group("myResourceGroup")]
    return IDENTITY in names


def _logged_put(control: ControlClient) -> dict:
    return [r for r in control.client_requests() if r["method"] == "PUT" and IDENTITY in r["path"]][-1]


def test_a_drop_before_the_service_changes_nothing_and_is_logged_as_dropped(clients, fresh):
    control = ControlClient.of(fresh.info)
    control.faults({"route": f"userAssignedIdentities/{IDENTITY}$", "method": "PUT", "drop": True, "count": 1})
    with pytest.raises(requests.exceptions.ChunkedEncodingError):  # the body never fully arrives
        _put(clients)
    assert not _exists(clients)
    entry = _logged_put(control)
    assert (entry["dropped"], entry["status"]) == (True, None)


def test_a_drop_after_the_change_is_applied_loses_only_the_answer(clients, fresh):
    control = ControlClient.of(fresh.info)
    control.faults({"route": f"userAssignedIdentities/{IDENTITY}$", "method": "PUT", "drop": True, "applied": True,
                    "count": 1})
    with pytest.raises(requests.exceptions.ChunkedEncodingError):  # the body never fully arrives
        _put(clients)
    assert _exists(clients)
    entry = _logged_put(control)
    assert (entry["dropped"], entry["status"]) == (True, 201)
    assert control.call("GET", "/requests")["counts"]["dropped"] == 1


def test_an_error_after_the_change_is_applied_answers_the_error_but_keeps_the_change(clients, fresh):
    control = ControlClient.of(fresh.info)
    control.faults({"route": f"userAssignedIdentities/{IDENTITY}$", "method": "PUT", "status": 500,
                    "applied": True, "count": 1})
    answer = _put(clients)
    assert (answer.status_code, answer.json()["error"]["code"]) == (500, "InternalServerError")
    assert _exists(clients)
    entry = _logged_put(control)
    assert (entry["dropped"], entry["status"]) == (False, 500)


def test_applied_must_be_true_or_false(fresh):
    control = ControlClient.of(fresh.info)
    with pytest.raises(Exception) as e:
        control.faults({"route": "x", "applied": "yes"})
    assert e.value.status == 400 and "faults[0].applied must be true or false" in e.value.body
