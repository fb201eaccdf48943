"""The runbook's one retry mechanism: what a real cloud throws once in a while must not end a run.

Retried: transport failures (a refused or reset connection, an answer cut off mid-body), 429
(after the server's `Retry-After` when it sends one), 5xx, and the few conflicts Azure documents
as "try again" (concurrent federated-credential writes under one identity). Each retry waits a
jittered, exponentially growing delay ("full jitter": uniform in [0, min(cap, base * 2**n)]),
so many runbooks on one service do not retry in step; attempts and total waiting are bounded.

Who uses it: the Kubernetes client (`keyless.kube.RetryingApiClient`, every call), and the
Resource Manager calls azure-core does not retry by itself — a long-running operation's first
answer (its body is read outside azure-core's retry policy) and POST actions such as
`listClusterUserCredential` — at their call sites through `call`. Never a copy per step.

A lost answer is not a failed write: the change may have been applied. Before sending a write
again `call` asks the caller's `landed` check (a read) whether it already took effect, and
returns that instead of acting twice — so a retried create never meets its own 409.
"""
from __future__ import annotations

import http.client
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger("keyless")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Conflicts Azure documents as transient: the write was refused, nothing changed, try again.
RETRY_CODES = frozenset({"ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity"})


@dataclass(frozen=True)
class Policy:
    """Bounds: at most `attempts` sends and `budget` seconds of waiting in all; no single wait
    longer than `max_wait` (a larger Retry-After is capped, not obeyed blindly)."""

    attempts: int = 5
    base: float = 0.2
    cap: float = 5.0
    max_wait: float = 30.0
    budget: float = 60.0

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """The full-jitter delay before retry number `attempt` (1-based)."""
        return float(rng() * min(self.cap, self.base * 2 ** (attempt - 1)))


DEFAULT = Policy()


@dataclass(frozen=True)
class Transient:
    """Why a failure is worth another try: a short `reason` for logs and messages, the server's
    `retry_after` (seconds) if it named one, and whether the change may have been `applied`."""

    reason: str
    retry_after: float | None = None
    applied: bool = True


class GaveUp(Exception):
    """Raised by `call` after its last attempt; `last` is the final failure, `attempts` how many sends."""

    def __init__(self, what: str, attempts: int, transient: Transient, last: BaseException):
        self.what, self.attempts, self.transient, self.last = what, attempts, transient, last
        super().__init__(f"{what}: {transient.reason}, still after {attempts} attempts")


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what caused it (urllib3 keeps the cause of a MaxRetryError in `reason`)."""
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and all(cur is not s for s in seen) and len(seen) < 8:
        seen.append(cur)
        reason = getattr(cur, "reason", None)
        cur = cur.__cause__ or cur.__context__ or (reason if isinstance(reason, BaseException) else None)
    return seen


def _seconds(value: Any) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None  # an HTTP date: rare on these services; the jittered backoff applies instead
    return seconds if seconds >= 0 else None


def _headers(exc: BaseException) -> Any:
    headers = getattr(exc, "headers", None)
    if headers is None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
    return headers or {}


def transport_reason(exc: BaseException, deep: bool = True) -> Transient | None:
    """A failure of the connection rather than an answer: readable reason, and whether the
    server can have received the request (a refused connection: it cannot). `deep` also looks
    at what caused `exc` (the SDKs wrap transport errors in their own)."""
    import urllib3.exceptions as u3

    for e in _chain(exc) if deep else [exc]:
        name = type(e).__name__
        if name == "ServiceRequestError" or isinstance(e, (u3.NewConnectionError, ConnectionRefusedError)):
            return Transient("the connection could not be opened", applied=False)
        if isinstance(e, (http.client.IncompleteRead, u3.ProtocolError)) or name in (
                "IncompleteReadError", "ChunkedEncodingError"):
            return Transient("the connection dropped before the answer was complete")
        if isinstance(e, (u3.ReadTimeoutError, TimeoutError)):
            return Transient("the answer did not arrive in time")
        if name in ("ServiceResponseError",) or isinstance(e, (ConnectionError, u3.HTTPError)):
            return Transient("the connection failed while waiting for the answer")
    return None


def classify(exc: BaseException) -> Transient | None:
    """Transient (worth retrying) or None (a real answer: retrying would change nothing)."""
    status = getattr(exc, "status", None) if hasattr(exc, "body") else getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 400:
        retry_after = _seconds(_headers(exc).get("Retry-After"))
        if status in RETRY_STATUSES:
            word = "throttled" if status == 429 else "server error"
            return Transient(f"{status} ({word})", retry_after, applied=status != 429)
        code = getattr(getattr(exc, "error", None), "code", None)
        if code in RETRY_CODES:
            return Transient(f"{status} {code}", retry_after, applied=False)
        return None
    return transport_reason(exc)


def call(act: Callable[[], T], *, what: str, landed: Callable[[], T | None] | None = None,
         policy: Policy = DEFAULT, sleep: Callable[[float], None] = time.sleep,
         rng: Callable[[], float] = random.random) -> T:
    """`act()`, retried while it fails transiently. Before re-sending after a failure that may
    have been applied, `landed()` (a read) is asked; a non-None answer means the first send took
    effect and is returned as the result. Raises the last failure wrapped in `GaveUp` when the
    bounds run out, or the failure itself when it is not transient."""
    waited = 0.0
    attempt = 0
    while True:
        attempt += 1
        try:
            return act()
        except Exception as exc:  # classified below; anything else is re-raised as is
            transient = classify(exc)
            if transient is None:
                raise
            delay = policy.backoff(attempt, rng)
            if transient.retry_after is not None:
                delay = transient.retry_after + delay / 4  # honour the server, spread the crowd a little
            delay = min(delay, policy.max_wait)
            if attempt >= policy.attempts or waited + delay > policy.budget:
                raise GaveUp(what, attempt, transient, exc) from exc
            log.info("%s: %s; retrying in %.1fs (attempt %d of %d)", what, transient.reason, delay, attempt + 1,
                        policy.attempts)
            sleep(delay)
            waited += delay
            if landed is not None and transient.applied:
                done = call(landed, what=f"{what} (reading back)", policy=policy, sleep=sleep, rng=rng)
                if done is not None:
                    log.info("%s: the change had been applied; its answer was lost", what)
                    return done


TERMINAL = frozenset({"succeeded", "failed", "canceled"})


def provisioning_state(resource: Any) -> str | None:
    """A Resource Manager resource's provisioningState where its SDK model keeps it: at the top
    (azure-mgmt-containerservice's ManagedCluster) or under `properties` (azure-mgmt-cognitiveservices'
    Account, as on the wire). Reading only the top made an account's state "Unknown" for ever, so a
    read-back of its update never ended."""
    for holder in (resource, getattr(resource, "properties", None)):
        state = getattr(holder, "provisioning_state", None)
        if state:
            return str(state)
    return None


class ReadBack:
    """Follows a Resource Manager long-running write whose first answer was lost, by reading the
    resource until its provisioningState is terminal — the poller the lost answer would have
    given. Offers the part of azure-core's LROPoller the steps use (done, wait, status, result)."""

    def __init__(self, get: Callable[[], Any], current: Any, interval: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep):
        self._get, self._current, self._interval, self._sleep = get, current, interval, sleep

    def status(self) -> str:
        return provisioning_state(self._current) or "Unknown"

    def done(self) -> bool:
        state = provisioning_state(self._current)  # none reported: there is nothing to wait for
        return state is None or state.lower() in TERMINAL

    def wait(self, timeout: float | None = None) -> None:
        if not self.done():
            self._sleep(min(self._interval, timeout) if timeout is not None else self._interval)
            self._current = self._get()

    def result(self, timeout: float = 1800.0) -> Any:
        started = time.monotonic()
        while not self.done() and time.monotonic() - started < timeout:
            self.wait(self._interval)
        return self._current
