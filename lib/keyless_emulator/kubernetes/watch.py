"""Watch streams: newline-delimited `{"type": ..., "object": ...}` events, as an async generator.

Semantics of kube-apiserver: with resourceVersion absent or "0", synthetic ADDED events for the
objects that exist, then changes; with a resourceVersion, only changes newer than it (410
Expired, sent as an ERROR event, if it is older than the retained history). An object that
starts or stops matching the selectors is seen as ADDED or DELETED. The stream stays open until
timeoutSeconds (or the section's default). sendInitialEvents=true (watch-list, as kubectl 1.37
uses) sends the current objects, then a BOOKMARK annotated `k8s.io/initial-events-end`. With
allowWatchBookmarks, BOOKMARK events carry the
resourceVersion reached, periodically and just before a timeout. Waiting is an asyncio wait on
the store's doorbell, so the event loop never blocks.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from . import errors
from .kinds import Kind
from .store import ClusterStore

Predicate = Callable[[dict[str, Any]], bool]
Transform = Callable[[dict[str, Any], bool], dict[str, Any]]


def _line(type_: str, obj: dict[str, Any]) -> bytes:
    return (json.dumps({"type": type_, "object": obj}, separators=(",", ":")) + "\n").encode()


def _in_scope(obj: dict[str, Any] | None, namespace: str | None, predicate: Predicate) -> bool:
    if obj is None:
        return False
    if namespace and (obj.get("metadata") or {}).get("namespace") != namespace:
        return False
    return predicate(obj)


def parse_resource_version(value: str | None) -> int | None:
    if value in (None, "", "0"):
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except ValueError:
        raise errors.bad_request(f'resourceVersion: Invalid value: "{value}": must be a non-negative integer') from None


async def stream(store: ClusterStore, kind: Kind, *, namespace: str | None, predicate: Predicate,
                 resource_version: int | None, timeout: float, bookmarks: bool, bookmark_interval: float,
                 transform: Transform, send_initial_events: bool = False) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    sub = store.subscribe(loop)
    resource = kind.resource
    first = True

    def emit(type_: str, obj: dict[str, Any]) -> bytes:
        nonlocal first
        out = _line(type_, transform(obj, first))
        first = False
        return out

    try:
        if resource_version is None or send_initial_events:
            items, rv = store.list(resource, namespace, predicate)
            last = int(rv)
            for obj in items:
                yield emit("ADDED", obj)
            if send_initial_events and bookmarks:  # watch-list: the end of the initial state
                yield _line("BOOKMARK", {"kind": kind.kind, "apiVersion": kind.api_version, "metadata": {
                    "resourceVersion": str(last), "annotations": {"k8s.io/initial-events-end": "true"}}})
        else:
            last = resource_version
            oldest = store.oldest_watchable()
            if last < oldest:
                status = errors.gone(f"too old resource version: {last} ({oldest})").body()
                yield _line("ERROR", status)
                return
        deadline = time.monotonic() + timeout
        next_bookmark = time.monotonic() + bookmark_interval
        while True:
            sub.event.clear()
            with store.lock:
                changes = store.changes_since(last)
                current = store.resource_version
            for change in changes:
                if change.resource != resource:
                    continue
                now_in = _in_scope(change.obj, namespace, predicate)
                was_in = _in_scope(change.prev, namespace, predicate)
                if change.type == "ADDED" and now_in:
                    yield emit("ADDED", change.obj)
                elif change.type == "MODIFIED":
                    if now_in and was_in:
                        yield emit("MODIFIED", change.obj)
                    elif now_in:
                        yield emit("ADDED", change.obj)
                    elif was_in:
                        yield emit("DELETED", change.obj)
                elif change.type == "DELETED" and now_in:
                    yield emit("DELETED", change.obj)
            last = max(last, current)
            if store.closed:
                return
            now = time.monotonic()
            remaining = deadline - now
            if bookmarks and (now >= next_bookmark or remaining <= 0):
                yield _line("BOOKMARK", {"kind": kind.kind, "apiVersion": kind.api_version,
                                         "metadata": {"resourceVersion": str(last)}})
                next_bookmark = now + bookmark_interval
            if remaining <= 0:
                return
            wait = min(remaining, next_bookmark - now) if bookmarks else remaining
            try:
                await asyncio.wait_for(sub.event.wait(), timeout=max(0.0, wait))
            except TimeoutError:
                pass
    finally:
        store.unsubscribe(sub)
