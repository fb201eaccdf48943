"""Container logs, as the API server's `pods/{name}/log` reads them.

One `ContainerLog` per (cluster, namespace, pod, container) keeps the lines of the current
container instance and of the previous one (after a restart, `previous=true` reads it). Lines are
stamped (RFC 3339 with nanoseconds, as `--timestamps` prints them). Thread-safe: processes write
from the kubelet's loop, the API server reads from its own.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import threading
from dataclasses import dataclass, field
from typing import AsyncIterator

MAX_LINES = 10000


def _stamp() -> str:
    now = _dt.datetime.now(_dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}000Z"


@dataclass
class Line:
    stamp: str
    epoch: float
    text: str

    def render(self, timestamps: bool) -> str:
        return f"{self.stamp} {self.text}" if timestamps else self.text


@dataclass
class ContainerLog:
    current: list[Line] = field(default_factory=list)
    previous: list[Line] | None = None
    generation: int = 0  # bumps on every restart, so followers notice
    closed: bool = False

    def append(self, text: str, epoch: float) -> None:
        self.current.append(Line(_stamp(), epoch, text.rstrip("\n")))
        if len(self.current) > MAX_LINES:
            del self.current[: len(self.current) - MAX_LINES]


class LogNotFound(LookupError):
    pass


class LogStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._logs: dict[tuple[str, str, str, str], ContainerLog] = {}

    def write(self, key: tuple[str, str, str, str], text: str) -> None:
        import time

        with self._lock:
            log = self._logs.setdefault(key, ContainerLog())
            log.append(text, time.time())

    def open(self, key: tuple[str, str, str, str]) -> None:
        """Make the container's log exist (empty) before it writes anything."""
        with self._lock:
            self._logs.setdefault(key, ContainerLog())

    def restart(self, key: tuple[str, str, str, str]) -> None:
        """A new instance of the container starts: the current lines become `previous`."""
        with self._lock:
            log = self._logs.setdefault(key, ContainerLog())
            log.previous, log.current = log.current, []
            log.generation += 1

    def drop_pod(self, cluster: str, namespace: str, pod: str) -> None:
        with self._lock:
            for key in [k for k in self._logs if k[:3] == (cluster, namespace, pod)]:
                self._logs[key].closed = True
                del self._logs[key]

    def has(self, key: tuple[str, str, str, str]) -> bool:
        with self._lock:
            return key in self._logs

    def _select(self, key, previous: bool, tail_lines: int | None, since_seconds: int | None) -> list[Line]:
        import time

        log = self._logs.get(key)
        if log is None:
            raise LogNotFound(key)
        if previous:
            if log.previous is None:
                raise LogNotFound(key)
            lines = list(log.previous)
        else:
            lines = list(log.current)
        if since_seconds is not None:
            cutoff = time.time() - since_seconds
            lines = [ln for ln in lines if ln.epoch >= cutoff]
        if tail_lines is not None:
            lines = lines[-tail_lines:] if tail_lines > 0 else []
        return lines

    def read(self, key: tuple[str, str, str, str], *, previous: bool = False, tail_lines: int | None = None,
             since_seconds: int | None = None, timestamps: bool = False) -> str:
        """The log text (raises LogNotFound when there is no such container, or no previous instance)."""
        with self._lock:
            lines = self._select(key, previous, tail_lines, since_seconds)
        return "".join(ln.render(timestamps) + "\n" for ln in lines)

    async def follow(self, key: tuple[str, str, str, str], *, tail_lines: int | None = None,
                     since_seconds: int | None = None, timestamps: bool = False,
                     poll: float = 0.1) -> AsyncIterator[str]:
        """The current log, then new lines as they come, until the container instance ends or the pod goes."""
        with self._lock:
            lines = self._select(key, False, tail_lines, since_seconds)
            log = self._logs[key]
            generation, sent = log.generation, len(log.current)
        for ln in lines:
            yield ln.render(timestamps) + "\n"
        while True:
            await asyncio.sleep(poll)
            with self._lock:
                current = self._logs.get(key)
                if current is not log or log.closed:
                    return
                if log.generation != generation:  # the instance we followed ended
                    return
                new = log.current[sent:]
                sent = len(log.current)
            for ln in new:
                yield ln.render(timestamps) + "\n"
