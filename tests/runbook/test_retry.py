"""keyless.retry on its own: which failures are retried, how long it waits (bounded, jittered,
Retry-After honoured), when it gives up, and that a landed write is read back, not re-sent.
The clients' real exception types are built here; the waits are recorded, not slept."""
from __future__ import annotations

import http.client

import pytest
import urllib3
from azure.core.exceptions import HttpResponseError, ServiceRequestError
from kubernetes.client.exceptions import ApiException

from keyless import retry
from keyless.errors import explain


class Waits(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def failing(*errors: BaseException, result: str = "done"):
    queue = list(errors)
    sent: list[int] = []

    def act() -> str:
        sent.append(1)
        if queue:
            raise queue.pop(0)
        return result
    act.sent = sent  # type: ignore[attr-defined]
    return act


class _Resp:
    def __init__(self, status: int, headers: dict[str, str] | None = None):
        self.status, self.reason, self.data, self.headers = status, "x", b"{}", headers or {}


def kube_error(status: int, retry_after: str | None = None) -> ApiException:
    return ApiException(http_resp=_Resp(status, {"Retry-After": retry_after} if retry_after else {}))


def arm_error(status: int, code: str = "X") -> HttpResponseError:
    e = HttpResponseError(message=f"({code}) boom")
    e.status_code = status
    e.error = type("E", (), {"code": code})()
    return e


def dropped() -> urllib3.exceptions.ProtocolError:
    return urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead(0 bytes read, 12 more expected)",
                                            http.client.IncompleteRead(b"", 12))


@pytest.mark.parametrize("error,reason", [
    (kube_error(429), "429 (throttled)"), (kube_error(500), "500 (server error)"),
    (kube_error(503), "503 (server error)"),
    (arm_error(502), "502 (server error)"),
    (arm_error(409, "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity"),
     "409 ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity"),
    (dropped(), "the connection dropped before the answer was complete"),
    (ServiceRequestError("refused"), "the connection could not be opened"),
    (ConnectionResetError(104, "reset"), "the connection failed while waiting for the answer"),
])
def test_transient_failures_are_retried(error, reason):
    assert retry.classify(error).reason == reason
    act, waits = failing(error), Waits()
    assert retry.call(act, what="x", sleep=waits, rng=lambda: 0.5) == "done"
    assert len(act.sent) == 2 and len(waits) == 1


@pytest.mark.parametrize("error", [kube_error(404), kube_error(409), kube_error(403), arm_error(409, "Conflict"),
                                   arm_error(400, "BadRequest"), ValueError("no")])
def test_real_answers_are_not_retried(error):
    act = failing(error)
    with pytest.raises(type(error)):
        retry.call(act, what="x", sleep=Waits())
    assert len(act.sent) == 1


def test_backoff_is_jittered_exponential_and_capped():
    policy = retry.Policy(attempts=8, base=0.2, cap=1.0)
    assert [policy.backoff(n, rng=lambda: 1.0) for n in range(1, 6)] == [0.2, 0.4, 0.8, 1.0, 1.0]
    assert policy.backoff(3, rng=lambda: 0.25) == 0.2


def test_retry_after_is_honoured_and_capped():
    waits = Waits()
    retry.call(failing(kube_error(429, "2"), kube_error(429, "3600")), what="x", sleep=waits, rng=lambda: 0.0)
    assert waits == [2.0, retry.DEFAULT.max_wait]


def test_attempts_are_bounded_and_the_last_failure_is_kept():
    act, waits = failing(*[kube_error(500) for _ in range(10)]), Waits()
    with pytest.raises(retry.GaveUp) as e:
        retry.call(act, what="Kubernetes POST /x", sleep=waits, rng=lambda: 1.0)
    assert len(act.sent) == retry.DEFAULT.attempts and len(waits) == retry.DEFAULT.attempts - 1
    assert e.value.attempts == retry.DEFAULT.attempts and e.value.last.status == 500


def test_the_waiting_budget_bounds_the_total():
    policy = retry.Policy(attempts=100, budget=5.0)
    waits = Waits()
    with pytest.raises(retry.GaveUp):
        retry.call(failing(*[kube_error(429, "2") for _ in range(100)]), what="x", policy=policy, sleep=waits,
                   rng=lambda: 0.0)
    assert sum(waits) <= 5.0 and waits == [2.0, 2.0]


def test_a_write_that_landed_is_read_back_instead_of_sent_again():
    act = failing(dropped())
    assert retry.call(act, what="x", landed=lambda: "read back", sleep=Waits()) == "read back"
    assert len(act.sent) == 1


def test_a_write_that_did_not_land_is_sent_again_and_a_refused_connection_is_not_read_back():
    reads: list[int] = []

    def landed() -> None:
        reads.append(1)
    act = failing(dropped(), ServiceRequestError("refused"))
    assert retry.call(act, what="x", landed=landed, sleep=Waits()) == "done"
    assert len(act.sent) == 3 and len(reads) == 1      # the refused connection never reached the server


def test_giving_up_is_explained_with_the_last_cause_and_what_to_do():
    with pytest.raises(retry.GaveUp) as e:
        retry.call(failing(*[dropped() for _ in range(9)]), what="Kubernetes POST /api/v1/x", sleep=Waits())
    err = explain(e.value)
    assert err.code == "ConnectionError"
    assert err.message == ("Kubernetes POST /api/v1/x: the connection dropped before the answer was complete "
                           "(IncompleteRead), still failing after 5 attempts")
    assert "running it again is safe" in err.hint


def test_a_raw_azure_incomplete_read_reads_as_what_happened():
    from azure.core.exceptions import IncompleteReadError
    raw = IncompleteReadError("('Connection broken: IncompleteRead(0 bytes read, 7 more expected)', "
                              "IncompleteRead(0 bytes read, 7 more expected))")
    err = explain(raw)
    assert err.message == "the connection dropped before the answer was complete (IncompleteRead)"
    assert err.code == "ConnectionError" and "(None)" not in err.message



def test_a_read_back_follows_the_provisioning_state_where_each_sdk_model_keeps_it():
    """A ManagedCluster carries provisioningState at the top, a Cognitive Services Account under
    `properties`; a read-back that looked only at the top never saw an account's update end."""
    from azure.mgmt.cognitiveservices.models import Account, AccountProperties
    from azure.mgmt.containerservice.models import ManagedCluster

    def account(state: str) -> Account:
        a = Account(properties=AccountProperties())
        a.properties.provisioning_state = state  # read-only in the model: the server fills it
        return a

    def cluster(state: str) -> ManagedCluster:
        mc = ManagedCluster(location="eastus")
        mc.provisioning_state = state
        return mc

    for make in (account, cluster):
        reads = iter([make("Accepted"), make("Succeeded")])
        waits = Waits()
        back = retry.ReadBack(lambda reads=reads: next(reads), make("Updating"), sleep=waits)
        assert back.status() == "Updating" and not back.done()
        assert retry.provisioning_state(back.result()) == "Succeeded"
        assert back.status() == "Succeeded" and back.done() and len(waits) == 2
    assert retry.ReadBack(lambda: None, object()).done()  # nothing reported: nothing to wait for


def test_a_lost_replace_reads_as_landed_although_the_controller_renumbered_the_revision():
    """keyless.kube.replaced: the Deployment controller rewrites `deployment.kubernetes.io/revision` right
    after a replace lands (a restored template it has not run before gets the next number), so the
    annotation the replace sent back is not evidence it did not land; any other difference is."""
    from keyless.kube import replaced

    sent = {"metadata": {"resourceVersion": "7", "annotations": {"deployment.kubernetes.io/revision": "1",
                                                                 "team": "store"}},
            "spec": {"replicas": 1}}
    now = {"metadata": {"resourceVersion": "8", "annotations": {"deployment.kubernetes.io/revision": "3",
                                                                "team": "store"}},
           "spec": {"replicas": 1, "paused": False}}
    assert replaced(sent, now)
    assert not replaced(sent, {**now, "metadata": {**now["metadata"], "resourceVersion": "7"}})  # did not land
    assert not replaced(sent, {**now, "metadata": {"resourceVersion": "8", "annotations": {"team": "other"}}})
