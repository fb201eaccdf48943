"""A small JSON state file per environment (target + subscription + resource group).

It records what was discovered, what the runbook created (so `99-clean-up` removes exactly
that and nothing the prerequisite article made), the original ai-service Deployment (so
clean-up can put it back), and the long-running operations the runbook left running (`pending`:
an azure-core continuation token, so a later notebook, in another kernel too, resumes the same
operation instead of starting another). It never holds a secret: the original Deployment is stored with
its key-bearing environment values removed and re-read from Resource Manager on restore.
"""
from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import retry

STATE_VERSION = 1
SECTIONS = ("discovered", "created", "original", "pending")


def _refused(exc: BaseException) -> bool:
    """A real answer saying no (4xx, or 5xx past retrying is not one: the change may have landed)."""
    if isinstance(exc, retry.GaveUp) or retry.classify(exc) is not None:
        return False
    status = getattr(exc, "status_code", None) or getattr(exc, "status", None)
    return isinstance(status, int) and 400 <= status < 500


def environment_name(target: str, subscription: str, resource_group: str) -> str:
    raw = f"{target}-{subscription}-{resource_group}".lower()
    return re.sub(r"[^a-z0-9_.-]+", "-", raw).strip("-")


class StateFile:
    """Load on construction, save after every change (atomic rename)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.data: dict[str, Any] = {"version": STATE_VERSION, "discovered": {}, "created": {}, "original": {},
                                     "pending": {}}
        if self.path.exists():
            try:
                loaded = json.loads(self.path.read_text())
            except ValueError:
                loaded = None
            if isinstance(loaded, dict) and loaded.get("version") == STATE_VERSION:
                for section in SECTIONS:
                    loaded.setdefault(section, {})
                self.data = loaded

    @classmethod
    def for_environment(cls, home: Path, target: str, subscription: str, resource_group: str) -> StateFile:
        return cls(Path(home) / "state" / f"{environment_name(target, subscription, resource_group)}.json")

    # ---- sections ---------------------------------------------------------------------------
    def _section(self, name: str) -> dict[str, Any]:
        section = self.data[name]
        if not isinstance(section, dict):  # a hand-edited file; __init__ adds missing sections
            raise TypeError(f"the state file {self.path} has a {name!r} that is not a mapping")
        return section

    @property
    def discovered(self) -> dict[str, Any]:
        return self._section("discovered")

    @property
    def created(self) -> dict[str, Any]:
        return self._section("created")

    @property
    def original(self) -> dict[str, Any]:
        return self._section("original")

    @property
    def pending(self) -> dict[str, Any]:
        return self._section("pending")

    def remember_pending(self, kind: str, record: dict[str, Any]) -> None:
        """An operation left running (`kind`, e.g. 'cluster_update'): what a later step needs to resume it."""
        self.pending[kind] = record
        self.save()

    def forget_pending(self, kind: str) -> None:
        if self.pending.pop(kind, None) is not None:
            self.save()

    def remember(self, **values: Any) -> None:
        self.discovered.update(values)
        self.save()

    def record_created(self, kind: str, ref: Any) -> None:
        """`kind` is e.g. 'identity', 'role_assignment', 'federated_credential', 'service_account'."""
        self.created[kind] = ref
        self.save()

    @contextmanager
    def intent(self, kind: str, ref: Any) -> Iterator[None]:
        """Record `ref` as created *before* the change is sent: an interruption at any point (a kill,
        a lost answer) leaves clean-up knowing what may exist; it treats what is missing as removed.
        Only a definite refusal (an HTTP answer that is not transient: nothing was made) takes the
        record back; a record that was there before the attempt is always kept."""
        had = kind in self.created
        self.record_created(kind, ref)
        try:
            yield
        except Exception as e:
            if not had and _refused(e):
                self.forget_created(kind)
            raise

    def forget_created(self, kind: str) -> None:
        if self.created.pop(kind, None) is not None:
            self.save()

    def record_original(self, kind: str, doc: Any) -> None:
        if kind not in self.original:  # the first recording is the original; later runs keep it
            self.original[kind] = doc
            self.save()

    def forget_original(self, kind: str) -> None:
        if self.original.pop(kind, None) is not None:
            self.save()

    def save(self) -> None:
        self.data["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(self.data, f, indent=2, sort_keys=True)
        tmp.replace(self.path)

    def __repr__(self) -> str:
        return f"StateFile({self.path.name}: created={sorted(self.created)})"
