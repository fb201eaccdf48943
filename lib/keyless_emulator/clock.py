"""Time, in one place: wall time for tokens and operations, a frozen instant for seeding.

While a scenario is loaded in deterministic mode the clock is frozen at a fixed instant,
so every timestamp written into the state then is the same on every start.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import threading
import time

SEED_INSTANT = _dt.datetime(2026, 1, 1, 9, 0, 0, tzinfo=_dt.UTC)


class Clock:
    def __init__(self) -> None:
        self._frozen = threading.local()

    def now(self) -> _dt.datetime:
        frozen = getattr(self._frozen, "at", None)
        return frozen if frozen is not None else _dt.datetime.now(_dt.UTC)

    def time(self) -> float:
        return self.now().timestamp()

    def monotonic(self) -> float:
        return time.monotonic()

    def iso(self) -> str:
        """ISO 8601 with seven fractional digits and Z, as Resource Manager writes it."""
        n = self.now()
        return n.strftime("%Y-%m-%dT%H:%M:%S.") + f"{n.microsecond:06d}0Z"

    def rfc3339(self) -> str:
        """Kubernetes timestamps: seconds precision, Z."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    @contextlib.contextmanager
    def frozen(self, at: _dt.datetime = SEED_INSTANT):
        previous = getattr(self._frozen, "at", None)
        self._frozen.at = at
        try:
            yield
        finally:
            self._frozen.at = previous
