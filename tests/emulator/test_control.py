"""The control API (/_emulator/...): who may use it, reset, snapshot, request log, faults,
latency and settings — driven over HTTPS, with the real SDK where the data plane is involved."""
from __future__ import annotations

import json
from collections import Counter

import pytest
import requests
from azure.core.exceptions import HttpResponseError, IncompleteReadError
from azure.mgmt.resource.resources import ResourceManagementClient

from keyless_emulator import ControlError
from keyless_emulator.control.routes import ROUTES as CONTROL_ROUTES
from keyless_emulator.routing import AUTH_NONE
from keyless_emulator.scenarios import SCENARIOS

ARM_SCOPE = "https://management.azure.com/.default"
PROTECTED = [(r.method, r.path) for r in CONTROL_ROUTES if r.auth != AUTH_NONE]


def _url(clients, path: str) -> str:
    return clients.info.url + path


def _wire(clients, method: str, path: str, **kw) -> requests.Response:
    """One admin-key request as it goes over the wire: only where the status code or the raw body is
    what a test checks (everything else goes through `clients.control`, the ControlClient)."""
    return requests.request(method, _url(clients, path), headers={"x-emulator-admin-key": clients.info.admin_key},
                            verify=clients.verify, **kw)


def _refusal(clients, method: str, path: str, body) -> tuple[int, dict]:
    """The control API's refusal of `body` at `path`: (status, error)."""
    with pytest.raises(ControlError) as e:
        clients.control.call(method, path, body)
    return e.value.status, json.loads(e.value.body)["error"]


def _bearer(clients, scope: str = ARM_SCOPE) -> dict[str, str]:
    return {"Authorization": "Bearer " + clients.credential().get_token(scope).token}


def _arm_get(clients, path: str, headers: dict[str, str]) -> requests.Response:
    return requests.get(_url(clients, path), params={"api-version": "2021-04-01"}, headers=headers,
                        verify=clients.verify)


def _arm_put(clients, path: str, headers: dict[str, str], body: dict) -> requests.Response:
    return requests.put(_url(clients, path), params={"api-version": "2021-04-01"}, headers=headers, json=body,
                        verify=clients.verify)


# -- who may use it ------------------------------------------------------------------------

def test_health_needs_no_authentication(clients):
    r = requests.get(_url(clients, "/_emulator/health"), verify=clients.verify)
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["scenario"], body["url"]) == ("ok", "before-you-begin", clients.info.url)
    assert sorted(body["scenarios"]) == sorted(SCENARIOS)


def test_every_protected_route_is_listed():
    assert {path for _, path in PROTECTED} >= {"/_emulator/reset", "/_emulator/snapshot", "/_emulator/requests",
                                               "/_emulator/faults", "/_emulator/latency", "/_emulator/settings",
                                               "/_emulator/tenants"}


@pytest.mark.parametrize("method,path", PROTECTED)
def test_protected_route_refuses_a_request_without_credentials(clients, method, path):
    r = requests.request(method, _url(clients, path), json={}, verify=clients.verify)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "Unauthenticated"
    assert r.headers["WWW-Authenticate"] == 'Basic realm="keyless emulator", charset="UTF-8"'  # a browser asks


@pytest.mark.parametrize("method,path", PROTECTED)
def test_protected_route_refuses_a_wrong_admin_key(clients, method, path):
    r = requests.request(method, _url(clients, path), json={}, headers={"x-emulator-admin-key": "not-the-key"},
                         verify=clients.verify)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "InvalidAdminKey"
    assert r.headers["WWW-Authenticate"] == 'Basic realm="keyless emulator", charset="UTF-8"'


def test_refused_requests_change_nothing(clients):
    requests.post(_url(clients, "/_emulator/reset"), json={"scenario": "empty"}, verify=clients.verify)
    assert requests.get(_url(clients, "/_emulator/health"), verify=clients.verify).json()["scenario"] == \
        "before-you-begin"


def test_operator_bearer_token_is_accepted(clients):
    r = requests.get(_url(clients, "/_emulator/settings"), headers=_bearer(clients), verify=clients.verify)
    assert r.status_code == 200


def test_admin_key_is_accepted(clients):
    assert _wire(clients, "GET", "/_emulator/settings").status_code == 200


def test_admin_key_as_a_basic_password_is_accepted(clients):
    """What a browser sends once the facilitator typed the key into its prompt (any user name)."""
    r = requests.get(_url(clients, "/_emulator/settings"), auth=("facilitator", clients.info.admin_key),
                     verify=clients.verify)
    assert r.status_code == 200


def test_token_for_another_audience_is_refused(clients):
    headers = _bearer(clients, "https://cognitiveservices.azure.com/.default")
    r = requests.get(_url(clients, "/_emulator/settings"), headers=headers, verify=clients.verify)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "InvalidToken"


def test_garbage_bearer_token_is_refused(clients):
    r = requests.get(_url(clients, "/_emulator/settings"), headers={"Authorization": "Bearer abc.def.ghi"},
                     verify=clients.verify)
    assert r.status_code == 401 and r.json()["error"]["code"] == "InvalidToken"


# -- reset ---------------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_reset_to_each_scenario(clients, scenario):
    r = _wire(clients, "POST", "/_emulator/reset", json={"scenario": scenario})
    assert r.status_code == 200 and r.json() == {"scenario": scenario, "status": "reset"}
    assert clients.control.health()["scenario"] == scenario
    groups = {g.name for g in clients.resources().resource_groups.list()}
    assert groups == ({"myResourceGroup"} if scenario.startswith("before-you-begin") else set())


def test_reset_restores_what_was_deleted(clients):
    rm = clients.resources()
    rm.resource_groups.begin_delete("myResourceGroup").result()
    assert clients.control.reset("before-you-begin") == {"scenario": "before-you-begin", "status": "reset"}
    assert rm.resource_groups.get("myResourceGroup").name == "myResourceGroup"


def test_reset_to_unknown_scenario_is_refused(clients):
    status, error = _refusal(clients, "POST", "/reset", {"scenario": "nope"})
    assert status == 400
    assert error["code"] == "UnknownScenario"
    assert "'nope'" in error["message"] and "before-you-begin" in error["message"]


def test_reset_with_a_body_that_is_not_an_object_is_refused(clients):
    status, error = _refusal(clients, "POST", "/reset", [1])
    assert status == 400 and error["code"] == "InvalidBody"


def test_reset_clears_faults(clients):
    clients.control.faults({"route": "resourcegroups", "status": 500})
    clients.control.call("POST", "/reset", {})
    assert clients.control.call("GET", "/faults") == {"faults": []}


# -- snapshot ------------------------------------------------------------------------------

def test_snapshot_round_trip_restores_deleted_state(clients):
    snapshot = clients.control.snapshot()
    rm = clients.resources()
    rm.resource_groups.begin_delete("myResourceGroup").result()
    assert not rm.resource_groups.check_existence("myResourceGroup")
    r = _wire(clients, "PUT", "/_emulator/snapshot", json=snapshot)
    assert r.status_code == 200 and r.json()["status"] == "restored"
    assert rm.resource_groups.get("myResourceGroup").location == "eastus"
    again = clients.control.snapshot()
    # The Kubernetes section keeps living (controllers, events) after a restore, and takes new ids
    # as it does; the rest is exact, and no id counter goes back (no id is handed out twice).
    live = ("sections", "ids")
    assert {k: v for k, v in again.items() if k not in live} == {k: v for k, v in snapshot.items() if k not in live}
    assert set(again["sections"]) == set(snapshot["sections"])
    assert all(again["ids"].get(key, 0) >= count for key, count in snapshot["ids"].items())


def test_snapshot_holds_no_url_of_this_instance(clients):
    text = _wire(clients, "GET", "/_emulator/snapshot").text
    assert clients.info.url not in text and f"127.0.0.1:{clients.info.port}" not in text


def test_snapshot_with_wrong_version_is_refused(clients):
    status, error = _refusal(clients, "PUT", "/snapshot", {"version": 99})
    assert status == 400 and error["code"] == "InvalidSnapshot"
    assert "version" in error["message"]


def test_snapshot_that_is_not_json_is_refused(clients):
    r = _wire(clients, "PUT", "/_emulator/snapshot", data="{nope")  # not JSON: ControlClient cannot send it
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidSnapshot"


# -- request log ---------------------------------------------------------------------------

def _account_keys(clients) -> list[str]:
    keys = clients.cognitive().accounts.list_keys("myResourceGroup", "myOpenAIAccount")
    return [keys.key1, keys.key2]


def test_request_log_records_calls_without_credentials(clients):
    rm = clients.resources()
    rm.resource_groups.get("myResourceGroup")
    with pytest.raises(HttpResponseError):
        rm.resource_groups.get("missing")
    account_keys = _account_keys(clients)  # a POST whose answer holds both keys
    report = clients.control.call("GET", "/requests")
    entries = report["requests"]
    token_calls = [e for e in entries if e["path"].endswith("/oauth2/v2.0/token")]
    assert [(e["method"], e["status"], e["surface"]) for e in token_calls] == [("POST", 200, "entra")]
    gets = [e for e in entries if e["method"] == "GET" and "/resourcegroups/" in e["path"].lower()
            and e["operation"] == "resource_groups_get"]
    assert [(e["status"], e["principal"]) for e in gets] == [(200, "contoso-operator"), (404, "contoso-operator")]
    assert all(e["principal_id"] for e in gets)
    # the counts are those of the log's entries (which may hold a late request of an earlier test's pod,
    # so they are compared with the entries, not with this test's own calls)
    assert report["counts"]["total"] == len(entries)
    assert report["counts"]["by_status"] == dict(Counter(str(e["status"]) for e in entries))
    # the fixture's own DELETE of the log is the only mutating request (listKeys only reads)
    assert [(e["method"], e["path"]) for e in entries if e["mutating"]] == [("DELETE", "/_emulator/requests")]
    text = json.dumps(report)
    assert "eyJ" not in text
    for secret in (clients.info.client_secret, clients.info.admin_key, *account_keys):
        assert secret not in text


def test_request_log_names_the_api_key_used_never_its_value(clients):
    """A data-plane call with the account key in the header and, wrongly, in the query string."""
    import ssl

    import httpx
    import openai

    key = _account_keys(clients)[0]
    endpoint = clients.cognitive().accounts.get("myResourceGroup", "myOpenAIAccount").properties.endpoint
    client = openai.AzureOpenAI(azure_endpoint=endpoint, api_version="2024-10-21", api_key=key, max_retries=0,
                                default_query={"api-key": key},
                                http_client=httpx.Client(verify=ssl.create_default_context(cafile=clients.verify)))
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    report = clients.control.call("GET", "/requests")
    chat = [e for e in report["requests"] if e["surface"] == "openai"]
    assert [(e["method"], e["status"]) for e in chat] == [("POST", 200)]
    assert "key1" in chat[0]["principal"]
    assert key not in json.dumps(report)


def test_request_log_counts_mutating_requests(clients):
    clients.resources().resource_groups.create_or_update("rg-log", {"location": "eastus"})
    report = clients.control.call("GET", "/requests")
    mutating = [(e["method"], e["surface"]) for e in report["requests"] if e["mutating"]]
    assert mutating == [("DELETE", "control"), ("PUT", "arm")]  # the fixture's log reset, then the group
    assert report["counts"]["mutating"] == 2 and report["counts"]["by_method"]["PUT"] == 1


def test_request_log_since(clients):
    clients.resources().resource_groups.get("myResourceGroup")
    last = clients.control.call("GET", "/requests")["last_seq"]
    clients.resources().resource_groups.get("myResourceGroup")
    later = clients.control.request_log(since=last)
    assert all(e["seq"] > last for e in later) and any(e["operation"] == "resource_groups_get" for e in later)


def test_request_log_since_must_be_an_integer(clients):
    with pytest.raises(ControlError) as e:
        clients.control.request_log(since="x")
    assert e.value.status == 400 and json.loads(e.value.body)["error"]["code"] == "InvalidQuery"


def test_deleting_the_request_log_clears_it(clients):
    clients.resources().resource_groups.get("myResourceGroup")
    assert _wire(clients, "DELETE", "/_emulator/requests").status_code == 204
    entries = clients.control.request_log()
    assert [(e["method"], e["path"]) for e in entries] == [("DELETE", "/_emulator/requests")]


# -- faults --------------------------------------------------------------------------------

GROUP_ROUTE = "/resourcegroups/myResourceGroup$"


def test_fault_429_with_retry_after_for_count_requests_then_normal(clients):
    fault = {"route": GROUP_ROUTE, "status": 429, "retry_after": 2, "count": 2}
    assert _wire(clients, "PUT", "/_emulator/faults", json={"faults": [fault]}).status_code == 200
    headers = _bearer(clients)
    path = clients.group_id()
    answers = [_arm_get(clients, path, headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "2"
    assert answers[0].headers["retry-after-ms"] == "2000"
    assert answers[0].json()["error"]["code"] == "TooManyRequests"
    described = clients.control.get_faults()[0]
    assert (described["fired"], described["seen"]) == (2, 3)


def test_fault_is_seen_by_the_sdk_as_the_status_it_injects(clients):
    clients.control.faults({"route": GROUP_ROUTE, "status": 503, "code": "ServerBusy", "message": "try later"})
    rm = ResourceManagementClient(clients.cred, clients.sub, base_url=clients.info.url,
                                  connection_verify=clients.verify, retry_total=0)
    with pytest.raises(HttpResponseError) as e:
        rm.resource_groups.get("myResourceGroup")
    assert e.value.status_code == 503 and e.value.error.code == "ServerBusy" and e.value.error.message == "try later"


def test_fault_rate_fails_that_fraction_deterministically(clients):
    clients.control.faults({"route": GROUP_ROUTE, "status": 500, "rate": 0.5})
    headers = _bearer(clients)
    statuses = [_arm_get(clients, clients.group_id(), headers).status_code for _ in range(6)]
    assert statuses == [200, 500, 200, 500, 200, 500]


def test_fault_phase_shifts_which_matches_fail(clients):
    clients.control.faults({"route": GROUP_ROUTE, "status": 500, "rate": 0.25, "phase": 0.5})
    headers = _bearer(clients)
    statuses = [_arm_get(clients, clients.group_id(), headers).status_code for _ in range(8)]
    assert statuses == [200, 500, 200, 200, 200, 500, 200, 200]


def test_fault_drop_breaks_the_connection(clients):
    clients.control.faults({"route": GROUP_ROUTE, "drop": True})
    rm = ResourceManagementClient(clients.cred, clients.sub, base_url=clients.info.url,
                                  connection_verify=clients.verify, retry_total=0)
    with pytest.raises(IncompleteReadError) as e:
        rm.resource_groups.get("myResourceGroup")
    assert "Connection broken" in str(e.value)


def test_fault_method_filter(clients):
    clients.control.faults({"route": GROUP_ROUTE, "method": "put", "status": 409, "code": "Conflict"})
    headers = _bearer(clients)
    assert _arm_get(clients, clients.group_id(), headers).status_code == 200
    r = _arm_put(clients, clients.group_id(), headers, {"location": "eastus"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "Conflict"


def test_fault_on_the_token_endpoint_speaks_entra(clients):
    clients.control.faults({"route": "/oauth2/v2.0/token$", "status": 400, "code": "invalid_request", "count": 1})
    r = requests.post(_url(clients, f"/{clients.info.tenant_id}/oauth2/v2.0/token"),
                      data={"grant_type": "client_credentials"}, verify=clients.verify)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_deleting_faults_restores_normal_answers(clients):
    clients.control.faults({"route": GROUP_ROUTE, "status": 500})
    assert _wire(clients, "DELETE", "/_emulator/faults").status_code == 204
    assert clients.resources().resource_groups.get("myResourceGroup").name == "myResourceGroup"


@pytest.mark.parametrize("spec,named", [
    ({"route": "(", "status": 500}, "faults[0].route"),
    ({"route": "x", "status": 700}, "faults[0].status"),
    ({"route": "x", "status": "500"}, "faults[0].status"),
    ({"route": "x", "rate": 0}, "faults[0].rate"),
    ({"route": "x", "rate": 1.5}, "faults[0].rate"),
    ({"route": "x", "rate": 0.5, "phase": 1}, "faults[0].phase"),
    ({"route": "x", "rate": 0.5, "phase": "0.5"}, "faults[0].phase"),
    ({"route": "x", "count": 0}, "faults[0].count"),
    ({"route": "x", "count": 1.5}, "faults[0].count"),
    ({"route": "x", "retry_after": -1}, "faults[0].retry_after"),
    ({"route": "x", "method": 5}, "faults[0].method"),
    ({"route": "x", "drop": "yes"}, "faults[0].drop"),
    ({"route": "x", "colour": "red"}, "colour"),
    ({"status": 500}, "'route'"),
])
def test_bad_fault_spec_is_refused_naming_the_field(clients, spec, named):
    status, error = _refusal(clients, "PUT", "/faults", {"faults": [spec]})
    assert status == 400 and error["code"] == "InvalidFaults"
    assert named in error["message"]
    assert clients.control.call("GET", "/faults") == {"faults": []}


def test_fault_body_must_hold_a_list(clients):
    status, error = _refusal(clients, "PUT", "/faults", {"route": "x"})
    assert status == 400 and '"faults"' in error["message"]


# -- latency -------------------------------------------------------------------------------

def test_latency_profile_round_trip(clients):
    body = {"profile": "realistic", "factor": 0.5, "overrides": {"microsoft.resources/resourcegroups:delete": 1.0}}
    r = _wire(clients, "PUT", "/_emulator/latency", json=body)
    assert r.status_code == 200 and r.json() == body
    assert clients.control.latency() == body


def test_latency_override_delays_the_operation(clients):
    clients.control.call("PUT", "/latency",
                         {"profile": "instant", "overrides": {"microsoft.resources/resourcegroups:delete": 30}})
    rm = clients.resources()
    poller = rm.resource_groups.begin_delete("myResourceGroup")
    assert poller.status() == "InProgress" and not poller.done()
    assert rm.resource_groups.check_existence("myResourceGroup")


@pytest.mark.parametrize("body,named", [
    ({"profile": "slow"}, "profile"),
    ({"profile": "realistic", "factor": 0}, "factor"),
    ({"profile": "realistic", "factor": "fast"}, "factor"),
    ({"profile": "instant", "overrides": {"x:put": -1}}, "override"),
    ({"profile": "instant", "speed": 2}, "speed"),
    ([], "body"),
])
def test_bad_latency_is_refused_naming_the_field(clients, body, named):
    status, error = _refusal(clients, "PUT", "/latency", body)
    assert status == 400 and error["code"] == "InvalidLatency"
    assert named in error["message"]
    assert clients.control.latency()["profile"] == "instant"


# -- settings ------------------------------------------------------------------------------

def test_settings_round_trip(clients):
    r = _wire(clients, "PUT", "/_emulator/settings", json={"federation_propagation_seconds": 5})
    assert r.status_code == 200 and r.json()["federation_propagation_seconds"] == 5.0
    assert clients.control.settings()["federation_propagation_seconds"] == 5.0


def test_settings_travel_in_the_snapshot(clients):
    clients.control.settings(role_propagation_seconds=3)
    assert clients.control.snapshot()["settings"]["role_propagation_seconds"] == 3.0


@pytest.mark.parametrize("body,named", [
    ({"federation_propagation_seconds": -1}, "federation_propagation_seconds"),
    ({"federation_propagation_seconds": 601}, "federation_propagation_seconds"),
    ({"federation_propagation_seconds": True}, "federation_propagation_seconds"),
    ({"federation_propagation_seconds": "5"}, "federation_propagation_seconds"),
    ({"propagation": 1}, "unknown setting 'propagation'"),
    ([1], "JSON object"),
])
def test_bad_settings_are_refused_naming_the_setting(clients, body, named):
    status, error = _refusal(clients, "PUT", "/settings", body)
    assert status == 400 and error["code"] == "InvalidSettings"
    assert named in error["message"]
    assert clients.control.settings()["federation_propagation_seconds"] == 0.0
