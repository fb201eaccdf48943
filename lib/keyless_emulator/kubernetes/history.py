"""One cluster's watch history: the last changes, kept so a watch can resume from a
resourceVersion (older than the history: 410 Expired), and the doorbells of open watches.

Writers may be any thread (API requests, the kubelet, controllers); watches are async on the
server's loop, so a change only rings their doorbells (thread-safely) and each watch reads
`since(rv)` itself.
"""
from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

HISTORY = 10000


@dataclass(frozen=True)
class Change:
    rv: int
    type: str  # ADDED | MODIFIED | DELETED
    resource: str
    obj: dict[str, Any]
    prev: dict[str, Any] | None


class Subscription:
    """An open watch's doorbell: rung (thread-safely) on every commit and when the store closes."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.event = asyncio.Event()

    def ring(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self.event.set)
        except RuntimeError:  # loop closed
            pass


class WatchHistory:
    def __init__(self, lock: threading.RLock, size: int = HISTORY):
        self.lock = lock
        self._changes: deque[Change] = deque(maxlen=size)
        self._subscriptions: set[Subscription] = set()

    def record(self, change: Change) -> None:
        """Keep a committed change and wake every open watch."""
        self._changes.append(change)
        self.ring_all()

    def ring_all(self) -> None:
        for sub in list(self._subscriptions):
            sub.ring()

    def oldest_watchable(self, current_rv: int) -> int:
        """The oldest resourceVersion a watch may resume from."""
        with self.lock:
            return self._changes[0].rv - 1 if self._changes else current_rv

    def since(self, rv: int) -> list[Change]:
        with self.lock:
            return [c for c in self._changes if c.rv > rv]

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> Subscription:
        sub = Subscription(loop)
        with self.lock:
            self._subscriptions.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self.lock:
            self._subscriptions.discard(sub)

    @property
    def watchers(self) -> int:
        """How many watches are open (what a caller waits on before making the change a watch sees)."""
        with self.lock:
            return len(self._subscriptions)

    def clear(self) -> None:
        """Forget the changes (the store was loaded from a snapshot: no watch resumes across that)."""
        self._changes.clear()
