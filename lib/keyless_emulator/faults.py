"""Fault injection: make matching requests fail on purpose.

A fault names a route pattern (a case-insensitive regular expression searched in the path),
optionally a method, and what to do: answer `status` (with an error `code`, and `Retry-After`
for 429/503), or `drop` the connection mid-response. It fires for every match, for a
`rate` fraction of matches (deterministically spread: with rate 0.2, every fifth match; `phase`
in [0, 1) shifts which of the five — a benchmark varies it per run so that many runs meet faults
at different requests, while each run stays reproducible), or for the first `count` matches.

By default a fault hits before the request reaches its service: nothing changes. With
`applied: true` the service handles the request first — the change is committed — and only
then is its answer replaced by the fault: the "applied, but the response was lost" case every
client of a real cloud must survive by reading back before it acts again.
"""
from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any


class FaultSpecError(ValueError):
    pass


@dataclass
class Fault:
    route: str
    method: str | None = None
    status: int = 503
    code: str | None = None
    message: str | None = None
    retry_after: float | None = None
    rate: float | None = None
    phase: float = 0.0
    count: int | None = None
    drop: bool = False
    applied: bool = False
    fired: int = 0
    seen: int = 0
    regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._check_types()
        try:
            self.regex = re.compile(self.route, re.IGNORECASE)
        except re.error as e:
            raise FaultSpecError(f"faults[].route must be a valid regular expression: {e}") from e
        if self.method is not None:
            self.method = self.method.upper()
        if not (100 <= int(self.status) <= 599):
            raise FaultSpecError("faults[].status must be an HTTP status between 100 and 599")
        if self.rate is not None and not (0.0 < float(self.rate) <= 1.0):
            raise FaultSpecError("faults[].rate must be in (0, 1]")
        if not (0.0 <= float(self.phase) < 1.0):
            raise FaultSpecError("faults[].phase must be in [0, 1)")
        if self.count is not None and int(self.count) < 1:
            raise FaultSpecError("faults[].count must be a positive integer")
        if self.retry_after is not None and float(self.retry_after) < 0:
            raise FaultSpecError("faults[].retry_after must be >= 0 seconds")

    def _check_types(self) -> None:
        """Each field's JSON type, so a bad spec is a 400 naming the field rather than a crash."""
        def number(v: object) -> bool:
            return isinstance(v, (int, float)) and not isinstance(v, bool)

        checks = [("route", isinstance(self.route, str), "a string (regular expression)"),
                  ("method", self.method is None or isinstance(self.method, str), "an HTTP method name"),
                  ("status", isinstance(self.status, int) and not isinstance(self.status, bool), "an integer"),
                  ("code", self.code is None or isinstance(self.code, str), "a string"),
                  ("message", self.message is None or isinstance(self.message, str), "a string"),
                  ("retry_after", self.retry_after is None or number(self.retry_after), "a number of seconds"),
                  ("rate", self.rate is None or number(self.rate), "a number"),
                  ("phase", number(self.phase), "a number"),
                  ("count", self.count is None or (isinstance(self.count, int) and not isinstance(self.count, bool)),
                   "an integer"),
                  ("drop", isinstance(self.drop, bool), "true or false"),
                  ("applied", isinstance(self.applied, bool), "true or false")]
        for name, ok, kind in checks:
            if not ok:
                raise FaultSpecError(f"faults[].{name} must be {kind}; got {getattr(self, name)!r}")

    def applies(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        return bool(self.regex.search(path))

    def fire(self) -> bool:
        self.seen += 1
        if self.count is not None:
            if self.fired >= self.count:
                return False
        elif self.rate is not None:
            # Deterministic spreading: fire when the running quota (shifted by phase) crosses an integer.
            if int(self.seen * self.rate + self.phase) == int((self.seen - 1) * self.rate + self.phase):
                return False
        self.fired += 1
        return True

    def describe(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("regex", None)
        return d


_ALLOWED = {"route", "method", "status", "code", "message", "retry_after", "rate", "phase", "count", "drop",
            "applied"}


def parse_faults(body: Any) -> list[Fault]:
    if not isinstance(body, dict) or not isinstance(body.get("faults"), list):
        raise FaultSpecError('body must be {"faults": [ {...}, ... ]}')
    faults = []
    for i, spec in enumerate(body["faults"]):
        if not isinstance(spec, dict) or "route" not in spec:
            raise FaultSpecError(f"faults[{i}] must be an object with a 'route'")
        unknown = set(spec) - _ALLOWED
        if unknown:
            raise FaultSpecError(f"faults[{i}] has unknown fields: {', '.join(sorted(unknown))}")
        try:
            faults.append(Fault(**spec))
        except FaultSpecError as e:
            raise FaultSpecError(str(e).replace("faults[]", f"faults[{i}]", 1)) from None
    return faults


class FaultInjector:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def set(self, faults: list[Fault]) -> None:
        with self._lock:
            self._faults = faults

    def clear(self) -> None:
        self.set([])

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self._faults]

    def check(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if f.applies(method, path) and f.fire():
                    return f
        return None
