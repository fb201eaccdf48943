"""The request log: what was asked, by whom, and the answer's status — never a credential.

Paths are logged without their query string's secret-bearing parameters (there are none on
the routes we serve, but `code`, `client_secret`, `client_assertion` and `api-key` are
dropped defensively), and principals are logged by name and object id only.
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

MUTATING = frozenset({"PUT", "POST", "PATCH", "DELETE"})
_SECRET_PARAMS = frozenset({"code", "client_secret", "client_assertion", "api-key", "access_token", "token"})
# POSTs that only read (Resource Manager list actions, the token endpoint, data-plane calls)
# and Kubernetes reviews, which the API server answers without storing anything)
_READ_ONLY_POSTS = ("/listclusterusercredential", "/listclusteradmincredential", "/listkeys",
                    "/oauth2/v2.0/token", "/chat/completions", "/providers/microsoft.authorization/permissions",
                    "/selfsubjectaccessreviews", "/subjectaccessreviews", "/selfsubjectreviews")


def is_mutating(method: str, path: str) -> bool:
    if method not in MUTATING:
        return False
    if method == "POST" and any(path.lower().endswith(s) or s in path.lower() for s in _READ_ONLY_POSTS):
        return False
    return True


def clean_query(query: str) -> str:
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k.lower() not in _SECRET_PARAMS]
    return urlencode(pairs)


@dataclass
class LoggedRequest:
    seq: int
    time: str
    method: str
    path: str
    query: str
    status: int | None   # None: the connection was dropped before any service answered
    dropped: bool        # the client never received the answer (an injected drop)
    surface: str
    operation: str
    principal: str
    principal_id: str | None
    mutating: bool
    duration_ms: float


class RequestLog:
    def __init__(self, limit: int = 20000):
        self._entries: list[LoggedRequest] = []
        self._seq = 0
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, **fields: Any) -> LoggedRequest:
        with self._lock:
            self._seq += 1
            entry = LoggedRequest(seq=self._seq, mutating=is_mutating(fields["method"], fields["path"]), **fields)
            self._entries.append(entry)
            if len(self._entries) > self._limit:
                del self._entries[: len(self._entries) - self._limit]
            return entry

    def entries(self, since: int = 0) -> list[LoggedRequest]:
        with self._lock:
            return [e for e in self._entries if e.seq > since]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def last_seq(self) -> int:
        return self._seq

    def report(self, since: int = 0) -> dict[str, Any]:
        entries = self.entries(since)
        return {
            "requests": [asdict(e) for e in entries],
            "counts": {
                "total": len(entries),
                "mutating": sum(e.mutating for e in entries),
                "by_method": dict(sorted(Counter(e.method for e in entries).items())),
                "by_surface": dict(sorted(Counter(e.surface for e in entries).items())),
                "by_status": {str(k): v for k, v in sorted(Counter(e.status for e in entries).items(),
                                                            key=lambda kv: (kv[0] is None, kv[0] or 0))},
                "dropped": sum(e.dropped for e in entries),
            },
            "last_seq": self.last_seq,
        }
