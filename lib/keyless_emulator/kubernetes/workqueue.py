"""The controllers' work queue of one cluster's store.

Writes run inside `operation()`; controllers `enqueue` the work a change causes (a duplicate
item is queued once), and the queue is drained when the outermost write returns — in the
writer's thread and under the state lock — so a scenario loaded under the frozen clock yields
the same objects, uids and resourceVersions each time, and no request ever waits for another
thread.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from . import errors

log = logging.getLogger("keyless_emulator.kubernetes")

MAX_ITEMS_PER_DRAIN = 20000


class WorkQueue:
    def __init__(self, lock: threading.RLock):
        self.lock = lock
        self._depth = 0
        self._draining = False
        self._queue: deque[tuple[Any, ...]] = deque()
        self._queued: set[tuple[Any, ...]] = set()

    @contextlib.contextmanager
    def operation(self) -> Iterator[None]:
        """One write (nested writes join the outermost one); the queue drains when it ends."""
        with self.lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._drain()

    def enqueue(self, fn: Callable[..., None], *args: Any) -> None:
        """Queue controller work; it runs when the outermost write returns."""
        item = (fn, *args)
        if item not in self._queued:
            self._queued.add(item)
            self._queue.append(item)

    def _drain(self) -> None:
        if self._draining:
            return
        self._draining = True
        try:
            done = 0
            while self._queue:
                item = self._queue.popleft()
                self._queued.discard(item)
                self._depth += 1
                try:
                    item[0](*item[1:])
                except errors.KubeError as e:
                    log.warning("controller work %s%r: %s", getattr(item[0], "__name__", item[0]), item[1:], e.message)
                except Exception:
                    log.exception("controller work %r failed", item)
                finally:
                    self._depth -= 1
                done += 1
                if done > MAX_ITEMS_PER_DRAIN:
                    log.error("controller queue did not settle; dropping %d items", len(self._queue))
                    self._queue.clear()
                    self._queued.clear()
        finally:
            self._draining = False
