"""Memory of a process and all its descendants (psutil), as the benchmarks report it.

Three sums, in MiB, because they answer different questions when processes share pages (the
store apps are forked from one pre-imported host, so most of their memory is shared):
- `rss`: resident set size summed over the tree — counts every shared page once per process
  that maps it, so it overstates what forked processes cost together;
- `pss`: proportional set size — each shared page divided among the processes sharing it; the
  sum is what the tree really takes from the machine (the figure the sizing in docs/workshops.md
  uses);
- `uss`: unique set size — pages only that process holds; what ending it would give back.
PSS and USS come from /proc/<pid>/smaps (Linux); elsewhere they are reported as None.
"""
from __future__ import annotations

from typing import Any

import psutil

MIB = 1024 * 1024


def tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def tree_memory(pid: int) -> dict[str, Any]:
    """{"rss_mib", "pss_mib", "uss_mib", "processes"} of `pid` and its descendants."""
    totals: dict[str, float | None] = {"rss": 0.0, "pss": 0.0, "uss": 0.0}
    count = 0
    for process in tree(pid):
        try:
            full = process.memory_full_info()
        except psutil.AccessDenied:
            full = process.memory_info()
        except psutil.NoSuchProcess:
            continue
        count += 1
        for key in totals:
            value = getattr(full, key, None)
            current = totals[key]
            totals[key] = None if value is None or current is None else current + value
    return {**{f"{k}_mib": (round(v / MIB, 1) if v is not None else None) for k, v in totals.items()},
            "processes": count}


def listens(process: psutil.Process) -> bool:
    try:
        return any(c.status == psutil.CONN_LISTEN for c in process.net_connections(kind="tcp"))
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def listening(pid: int) -> int:
    """How many processes of the tree (the root excepted) listen on a TCP port: the store apps serving."""
    return sum(1 for process in tree(pid)[1:] if listens(process))
