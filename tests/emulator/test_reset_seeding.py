"""A reset's seeding copies objects with `kubernetes.plain.clone` and lets controllers read the store in place
(list predicates, `names`), where it used `copy.deepcopy` on every read and write; and in deterministic mode a
seeding from a start seen before replays what that one committed (`kubernetes/seeded.py`). What a reset yields
must be byte for byte what it yielded before — every object, resourceVersion, uid, deterministic timestamp,
event and id counter, and the same sequence of changes the node and open watches were told of.

The state is read in-process under the state lock right after the scenario loads (`load_scenario` is what
`POST /_emulator/reset` runs), so the node's own later status writes, on its threads, cannot land between
the seeding and the reading; that is the only reason these tests use the session emulator's backend."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from keyless_emulator import InProcessEmulator
from keyless_emulator.arm.cognitiveservices.models import current_keys
from keyless_emulator.kubernetes import plain
from keyless_emulator.kubernetes.plain import clone
from keyless_emulator.kubernetes.seeded import SeededClusters
from keyless_emulator.scenarios import SCENARIOS, load_scenario

WALL = "<wall clock>"


def _seeded(emu: InProcessEmulator, scenario: str) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """The snapshot right after `scenario` loaded, and every cluster's change history since it was made.

    Pods' creationTimestamp and their managedFields times are the running cluster's wall clock (see
    `ClusterStore.create`), in deterministic mode too, so they are masked; nothing else is."""
    backend = emu.backend
    with backend.state.lock:
        load_scenario(backend, scenario)
        snapshot = backend.state.snapshot()
        changes = [(key, c.rv, c.type, c.resource, copy.deepcopy(c.obj), copy.deepcopy(c.prev))
                   for key, store in sorted(backend.kubernetes.stores.items()) for c in store.changes_since(0)]
    for cluster in snapshot["sections"]["kubernetes"]["clusters"].values():
        for entry in cluster["objects"]:
            if entry["resource"] == "pods":
                _mask_wall(entry["object"])
    for change in changes:
        if change[3] == "pods":
            for obj in change[4:]:
                if obj is not None:
                    _mask_wall(obj)
    return snapshot, changes


def _mask_wall(pod: dict[str, Any]) -> None:
    meta = pod["metadata"]
    meta["creationTimestamp"] = WALL
    for entry in meta.get("managedFields") or []:
        entry["time"] = WALL


def _from_scratch(emu: InProcessEmulator, scenario: str) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """A seeding that runs the bootstrap, the seeders and the controllers (nothing kept to replay)."""
    emu.backend.kubernetes.seeded = SeededClusters()
    return _seeded(emu, scenario)


@pytest.mark.parametrize("scenario", ["before-you-begin", "before-you-begin-entra"])
def test_a_replayed_reset_yields_what_seeding_from_scratch_did_when_every_copy_was_a_deepcopy(
        emulator, monkeypatch, scenario):
    assert emulator.backend.config.deterministic
    monkeypatch.setattr(plain, "_clone", copy.deepcopy)  # how the store and its controllers copied before
    before = _from_scratch(emulator, scenario)
    monkeypatch.undo()
    scratch = _from_scratch(emulator, scenario)
    assert len(emulator.backend.kubernetes.seeded._kept) == 1  # what the next reset replays
    replayed = _seeded(emulator, scenario)

    clusters = replayed[0]["sections"]["kubernetes"]["clusters"]
    assert clusters and all(c["objects"] for c in clusters.values())
    assert {e["resource"] for c in clusters.values() for e in c["objects"]} >= {
        "deployments", "replicasets", "pods", "services", "endpoints", "endpointslices", "events"}
    assert scratch == before
    assert replayed == scratch


def test_a_second_reset_seeds_what_the_first_did(emulator):
    """Nothing a reset leaves behind (ids drawn, stores dropped, the node's view, seedings kept) changes the
    next one."""
    first = _from_scratch(emulator, "before-you-begin")
    _seeded(emulator, "before-you-begin-entra")
    assert _seeded(emulator, "before-you-begin") == first
    _seeded(emulator, "empty")
    assert _seeded(emulator, "before-you-begin") == first


def test_a_seeding_from_another_start_is_not_replayed(emulator):
    """Another start (here: the account's keys regenerated, so the store's Deployment holds another key) seeds
    afresh; what was kept for the scenario's usual start does not stand in for it."""
    backend = emulator.backend
    usual = _from_scratch(emulator, "before-you-begin")
    _seeded(emulator, "before-you-begin")
    kept = len(backend.kubernetes.seeded._kept)
    with backend.state.lock:  # load_scenario's steps, the account's keys regenerated before the cluster's seeding
        backend.state.clear()
        with backend.clock.frozen():
            SCENARIOS["before-you-begin"](backend)
        account = backend.state.resources.of_type("Microsoft.CognitiveServices/accounts")[0]
        backend.state.resources.meta(account["id"])["key_generation"] = {"key1": 7}
        backend.kubernetes.scenario_loaded("before-you-begin")
        (store,) = backend.kubernetes.stores.values()
        deployment = json.dumps(store.get("deployments", "default", "ai-service"))
        regenerated = current_keys(backend.state, account)["key1"]
    assert len(backend.kubernetes.seeded._kept) == kept + 1
    assert regenerated in deployment  # seeded afresh: a replay would hold the former key
    assert _seeded(emulator, "before-you-begin") == usual


def test_names_lists_what_list_lists_in_its_order(fresh):
    store = next(iter(fresh.backend.kubernetes.stores.values()))
    for resource, namespace in [("pods", "default"), ("services", None), ("namespaces", None)]:
        items, _ = store.list(resource, namespace)
        assert store.names(resource, namespace) == [o["metadata"]["name"] for o in items]
        assert items


def test_clone_is_an_independent_deep_copy():
    original = {"a": [1, {"b": "c", "d": None}], "e": {"f": [True, 2.5]}, "g": (1, [2])}
    copied = clone(original)
    assert copied == original == copy.deepcopy(original)
    copied["a"][1]["b"] = "changed"
    copied["e"]["f"].append(3)
    copied["g"][1].append(3)  # a tuple is copied by deepcopy, its list with it
    assert original == {"a": [1, {"b": "c", "d": None}], "e": {"f": [True, 2.5]}, "g": (1, [2])}
