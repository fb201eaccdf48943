"""What the step modules share: turning SDK errors into explained ones, and progress messages."""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import explain

F = TypeVar("F", bound=Callable[..., Any])
Progress = Callable[..., None]  # progress(message, detail=False)
log = logging.getLogger("keyless")


def explained(fn: F) -> F:
    """Every exception leaving a step is a KeylessError with a hint (never a raw SDK trace)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001
            raise explain(e) from None

    return wrapper  # type: ignore[return-value]


def say(progress: Progress | None, message: str, detail: bool = False) -> None:
    """A milestone (always shown), or a `detail` whose number and timing vary between runs
    (shown live to learners, left out of headless records so they stay comparable)."""
    log.info(message)
    if progress is not None:
        progress(message, detail=detail)


def status_code(exc: BaseException) -> int | None:
    return getattr(exc, "status_code", None) or getattr(exc, "status", None)


def arm_id(subscription: str, group: str, provider_path: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{provider_path}"


def follow(poller: Any, what: str, progress: Progress | None, timeout: float) -> bool:
    """Wait for a long-running operation (the SDK's poller honours the server's Retry-After), saying
    how it goes; False when `timeout` seconds pass first (the operation goes on in Azure)."""
    import time

    started = time.monotonic()
    while not poller.done():
        if time.monotonic() - started > timeout:
            return False
        poller.wait(5)
        if not poller.done():
            say(progress, f"  still {what} ({poller.status()}, {time.monotonic() - started:.0f}s)", detail=True)
    say(progress, f"{what}: done in {time.monotonic() - started:.0f}s", detail=True)
    return True
