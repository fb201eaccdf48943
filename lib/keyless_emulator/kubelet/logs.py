"""Container log files, as a kubelet keeps them (the CRI log format), read by `pods/{name}/log`.

Each container instance writes `<pod folder>/logs/<container>/<restart count>.log`, one line per
entry: `<RFC3339Nano time> <stdout|stderr> F <text>`. The API server's log route reads the file
the provider names (current, or `previous` = the last instance that terminated) and does
tail/since/timestamps/follow itself. Files go with the pod's folder when the pod is deleted.
"""
from __future__ import annotations

import datetime as _dt
import os
import threading
from pathlib import Path


def cri_time() -> str:
    now = _dt.datetime.now(_dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}000Z"


class ContainerLogs:
    """The log files of every container this kubelet runs, keyed (cluster, namespace, pod, container)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folders: dict[tuple[str, str, str, str], Path] = {}
        self._instance: dict[tuple[str, str, str, str], int] = {}
        self._previous: dict[tuple[str, str, str, str], int] = {}

    def open(self, key: tuple[str, str, str, str], folder: Path) -> None:
        """Make the container's current log file exist (empty) in `folder`."""
        with self._lock:
            self._folders.setdefault(key, folder)
            self._instance.setdefault(key, 0)
            path = self._path(key, self._instance[key])
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.close(fd)

    def _path(self, key: tuple[str, str, str, str], instance: int) -> Path:
        return self._folders[key] / f"{instance}.log"

    def write(self, key: tuple[str, str, str, str], text: str, stream: str = "stdout") -> None:
        with self._lock:
            if key not in self._folders:
                return
            path = self._path(key, self._instance[key])
            line = f"{cri_time()} {stream} F {text.rstrip(chr(10))}\n"
            try:
                with open(path, "a", encoding="utf-8") as f:
                    f.write(line)
            except FileNotFoundError:  # the pod folder was removed meanwhile
                pass

    def terminated(self, key: tuple[str, str, str, str]) -> None:
        """The current instance ended: from now on it is the `previous` one (and still the current
        one until the next instance starts, as `kubectl logs` shows a crashed container's output)."""
        with self._lock:
            if key in self._folders:
                self._previous[key] = self._instance[key]

    def restart(self, key: tuple[str, str, str, str]) -> None:
        """A new instance of the container starts: it gets a new file."""
        with self._lock:
            if key not in self._folders:
                return
            self._instance[key] += 1
        self.open(key, self._folders[key])

    def path(self, key: tuple[str, str, str, str], previous: bool = False) -> Path | None:
        """The current (or previous, i.e. last terminated) log file, None when there is none."""
        with self._lock:
            if key not in self._folders:
                return None
            instance = self._previous.get(key) if previous else self._instance[key]
            if instance is None:
                return None
            path = self._path(key, instance)
        return path if path.exists() else None

    def drop_pod(self, cluster: str, namespace: str, pod: str) -> None:
        with self._lock:
            for key in [k for k in self._folders if k[:3] == (cluster, namespace, pod)]:
                self._folders.pop(key)
                self._instance.pop(key, None)
                self._previous.pop(key, None)
