"""The one bounded polling helper: tests wait on a condition, never for a fixed time."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(check: Callable[[], T], timeout: float = 30.0, what: str = "the condition", *,
             interval: float = 0.05, ignoring: tuple[type[BaseException], ...] = ()) -> T:
    """Call `check` until it answers something truthy and return that answer.

    After `timeout` seconds the test fails with an AssertionError naming `what` and the last answer.
    Exceptions of the `ignoring` types count as "not yet" (a server that does not listen yet, a file
    not written yet); any other exception propagates at once. `check` runs at least once, also with a
    zero timeout, and once more at the deadline, so a slow machine only ever costs time, never a verdict.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        last_call = time.monotonic() >= deadline
        try:
            answer = check()
        except ignoring as e:
            last = e
        else:
            if answer:
                return answer
            last = answer
        if last_call:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}; last answer: {last!r}")
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
