"""Identifiers and secrets.

In deterministic mode every GUID derives from the seed, a kind and the names involved, plus
how many times that same key was asked for (so a delete-and-recreate still gets a new id, and
the same sequence of operations always yields the same ids). Otherwise ids are random.

Secrets (client secrets, account keys) never derive from the seed alone: they are an HMAC of
a per-data-folder instance key, so they are stable for one installation, unguessable from
outside it, and never part of a snapshot.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import uuid
from collections import Counter


class IdFactory:
    def __init__(self, seed: str = "keyless", deterministic: bool = True):
        self.seed = seed
        self.deterministic = deterministic
        self._namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"keyless-emulator:{seed}")
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def guid(self, kind: str, *names: str) -> str:
        if not self.deterministic:
            return str(uuid.uuid4())
        key = kind + ":" + "/".join(n.lower() for n in names)
        with self._lock:
            n = self._counts[key]
            self._counts[key] += 1
        return str(uuid.uuid5(self._namespace, f"{key}#{n}"))

    def hex(self, kind: str, *names: str, length: int = 8) -> str:
        return self.guid(kind, *names).replace("-", "")[:length]

    def dump(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def load(self, counts: dict[str, int]) -> None:
        with self._lock:
            self._counts = Counter(counts)


class SecretFactory:
    def __init__(self, instance_key: bytes):
        self._key = instance_key

    def secret(self, purpose: str, *names: str, length: int = 40) -> str:
        digest = hmac.new(self._key, (purpose + ":" + "/".join(names)).encode(), hashlib.sha256).digest()
        digest += hmac.new(self._key, digest, hashlib.sha256).digest()
        return base64.b32encode(digest).decode().rstrip("=").lower()[:length]

    def client_secret(self, client_id: str) -> str:
        # Entra client secrets look like 'abc8Q~...'; ours keep the '~' so scanners recognise them.
        raw = self.secret("client-secret", client_id, length=37)
        return raw[:3] + "8Q~" + raw[3:]

    def account_key(self, account_id: str, which: str) -> str:
        return self.secret("account-key", account_id.lower(), which, length=32)
