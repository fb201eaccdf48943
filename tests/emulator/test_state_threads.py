"""The emulator's state read and written from several threads at once, as it is in a workshop: API
requests write Resource Manager documents while the kubelet's loop reads the cluster a pod's token is
minted for. A read that walks the documents must never see them change under it (it did: "dictionary
changed size during iteration" left a pod in ContainerCreating with 30 attendees)."""
from __future__ import annotations

import sys
import threading

import pytest

from keyless_emulator.clock import Clock
from keyless_emulator.ids import IdFactory, SecretFactory
from keyless_emulator.state import EmulatorState, ResourceStore

CLUSTER = "Microsoft.ContainerService/managedClusters"
IDENTITY = "Microsoft.ManagedIdentity/userAssignedIdentities"
ROUNDS = 400


def _doc(group: int, n: int, type_: str) -> dict:
    name = type_.rsplit("/", 1)[1]
    return {"id": f"/subscriptions/s/resourceGroups/rg{group}/providers/{type_}/{name}{n}", "type": type_,
            "properties": {"items": [{"k": i, "v": [str(i)] * 8} for i in range(40)]}}


@pytest.fixture
def busy_switching():
    """Threads switch every 10 µs instead of 5 ms, so a walk without the lock meets a write at once."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


def test_walking_reads_see_a_consistent_set_while_another_thread_writes(busy_switching):
    store = ResourceStore(lambda: "2026-01-01T00:00:00Z")
    for g in range(5):
        store.put(_doc(g, 0, CLUSTER))
    errors: list[BaseException] = []
    done = threading.Event()

    def writer() -> None:
        try:
            n = 0
            while not done.is_set():
                n += 1
                store.put(_doc(n % 5, n, IDENTITY))
                if n > 20:
                    store.delete(_doc((n - 20) % 5, n - 20, IDENTITY)["id"])
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    clusters_seen: set[int] = set()
    try:
        for i in range(ROUNDS):
            clusters_seen.add(len(store.of_type(CLUSTER)))
            store.under(f"/subscriptions/s/resourceGroups/rg{i % 5}", IDENTITY)
            store.dump()
    except RuntimeError as e:
        errors.append(e)
    finally:
        done.set()
        thread.join(10)
    assert [repr(e) for e in errors] == []
    assert clusters_seen == {5}


class CountingLock:
    """A re-entrant lock that counts how often it was taken."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.taken = 0

    def __enter__(self) -> CountingLock:
        self._lock.acquire()
        self.taken += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def test_every_read_and_write_takes_the_lock_given():
    lock = CountingLock()
    store = ResourceStore(lock=lock)  # type: ignore[arg-type]
    doc = _doc(0, 0, CLUSTER)
    calls = [lambda: store.put(doc), lambda: store.get(doc["id"]), lambda: store.exists(doc["id"]),
             lambda: store.meta(doc["id"]), lambda: store.under("/subscriptions/s/resourceGroups/rg0"),
             lambda: store.of_type(CLUSTER), lambda: store.dump(), lambda: store.load(store.dump()),
             lambda: store.delete(doc["id"])]
    taken = []
    for call in calls:
        before = lock.taken
        call()
        taken.append(lock.taken - before)
    assert taken == [1, 1, 1, 1, 1, 1, 1, 2, 1]  # load's argument is a dump: two


def test_the_emulator_state_shares_its_lock_with_its_resource_store():
    """Writers take `state.lock` around a read-modify-write; the store's reads wait for it."""
    state = EmulatorState(IdFactory("unit"), SecretFactory(b"k" * 32), Clock())
    assert state.resources.lock is state.lock
