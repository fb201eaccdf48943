"""The changes a deterministic seeding committed, kept so that a later seeding from the same start replays
them (`ClusterStore.replay`) instead of running the bootstrap, the seeders and the controllers again.

Why: an emulator reset seeds the scenario's clusters afresh, and the tests' `fresh` fixture resets before
most tests (about a thousand times per suite); the controllers' work (replica sets, pods, scheduling,
endpoints, events) was nearly all of a reset's CPU time. In deterministic mode the frozen clock and the
seed make a seeding a function of where it starts: the Resource Manager documents (the cluster, the
OpenAI account and its keys), the principals and behaviour settings, the ids drawn so far, the
emulator's URL (which the seeded store's configuration holds), and which seeders and admission plugins
run. That start, serialized, is the key;
a replay then commits the same objects, resourceVersions, uids, timestamps and events, in the same
order, tells the node of each as the seeding did, and leaves the ids drawn as the seeding left them
(test_reset_seeding proves it byte for byte). Pods' wall-clock times are the one exception: they are
stamped at the replay, as a seeding at that moment would stamp them.

Bounded: a few starts (the scenarios a process resets to) are kept, the oldest forgotten first.
"""
from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .history import Change
from .plain import clone

if TYPE_CHECKING:
    from .store import ClusterStore

KEEP = 8  # starts kept: the scenarios and a few tenants' resets


@dataclass(frozen=True)
class Seeding:
    changes: dict[str, list[Change]]  # cluster key -> every change of its store, from resourceVersion 1
    ids_after: dict[str, int]  # the id counters once the seeding was done


def start_key(scenario: str, keys: list[str], url: str, resources: dict[str, Any], ids: dict[str, int],
              directory: dict[str, Any], parts: list[Any]) -> str:
    """A digest of where a seeding starts (`url`: the emulator's, which seeded objects hold); `parts`
    (seeders, admission plugins) count by identity."""
    text = json.dumps({"scenario": scenario, "clusters": sorted(keys), "url": url, "resources": resources, "ids": ids,
                       "directory": directory,
                       "parts": [f"{getattr(p, '__module__', '')}.{getattr(p, '__qualname__', '')}#{id(p)}"
                                 for p in parts]}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class SeededClusters:
    def __init__(self) -> None:
        self._kept: OrderedDict[str, Seeding] = OrderedDict()

    def get(self, start: str) -> Seeding | None:
        found = self._kept.get(start)
        if found is not None:
            self._kept.move_to_end(start)
        return found

    def keep(self, start: str, stores: dict[str, ClusterStore], ids_after: dict[str, int]) -> None:
        """Keep what `stores` (just seeded from `start`) committed, unless their watch history no longer
        holds all of it (a seeding larger than the history: then it is not kept)."""
        changes = {}
        for key, store in stores.items():
            history = store.changes_since(0)
            if [c.rv for c in history] != list(range(1, store.resource_version + 1)):
                return
            changes[key] = [Change(c.rv, c.type, c.resource, clone(c.obj), clone(c.prev)) for c in history]
        self._kept[start] = Seeding(changes, dict(ids_after))
        while len(self._kept) > KEEP:
            self._kept.popitem(last=False)
