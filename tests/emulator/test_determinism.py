"""Deterministic mode: the same seed gives the same state on any machine and data folder;
another seed, or --random, gives other ids. Secrets never derive from the seed alone."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from kit import wait_for
from kit.processes import cli, kill_if_alive

from keyless_emulator import ControlClient, EmulatorConfig, InProcessEmulator, runtime, start_in_thread

# What the cluster's live runtime writes after a scenario has loaded, on its own threads and at
# its own pace: object status, events, resource versions, the local address of load balancers,
# pods' creation times.
# It depends on when the kubelet's work happened to run, so determinism is defined on the rest.
_LIVE_ANNOTATIONS = ("keyless.emulator/local-url",)


def _runtime_id(key: str) -> bool:
    """Ids the runtime draws for events (their names and uids): as many as events were written."""
    return key.startswith("kubernetes-event:") or "/events/" in key


def _declared(snapshot: dict) -> dict:
    snapshot["ids"] = {k: n for k, n in snapshot.get("ids", {}).items() if not _runtime_id(k)}
    for cluster in snapshot.get("sections", {}).get("kubernetes", {}).get("clusters", {}).values():
        cluster.pop("resourceVersion", None)
        kept = []
        for entry in cluster["objects"]:
            if entry["resource"] == "events":
                continue
            obj = entry["object"]
            obj.pop("status", None)
            meta = obj.get("metadata", {})
            meta.pop("resourceVersion", None)
            meta.pop("managedFields", None)
            if entry["resource"] == "pods":
                meta.pop("creationTimestamp", None)  # pods are as old as the running cluster's apply
            for name in _LIVE_ANNOTATIONS:
                (meta.get("annotations") or {}).pop(name, None)
            if meta.get("annotations") == {}:
                meta.pop("annotations")
            kept.append(entry)
        cluster["objects"] = kept
    return snapshot


def _pods_ready(snapshot: dict) -> bool:
    for cluster in snapshot.get("sections", {}).get("kubernetes", {}).get("clusters", {}).values():
        for entry in cluster["objects"]:
            if entry["resource"] != "pods":
                continue
            conditions = entry["object"].get("status", {}).get("conditions", [])
            if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
                return False
    return True


def _snapshot(emu: InProcessEmulator, timeout: float = 20.0) -> dict:
    """The declared state once the seeded workload has settled: every pod Ready (so endpoints
    list them), then two equal reads in a row. Readiness first, because on a loaded machine the
    kubelet may not have started yet when two early reads already agree."""
    control = ControlClient.of(emu.info)
    reads = [control.snapshot()]

    def settled() -> bool:
        reads.append(control.snapshot())
        return _pods_ready(reads[-1]) and reads[-1] == reads[-2]
    wait_for(settled, timeout, "every pod Ready and two equal reads of the state in a row", interval=0.25)
    return _declared(reads[-1])


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InProcessEmulator, InProcessEmulator]]:
    first = start_in_thread(EmulatorConfig(home=tmp_path_factory.mktemp("det-a"), seed="workshop", kubelet=False))
    try:
        second = start_in_thread(EmulatorConfig(home=tmp_path_factory.mktemp("det-b"), seed="workshop", kubelet=False))
    except BaseException:
        first.stop()
        raise
    yield first, second
    first.stop()
    second.stop()


def test_same_seed_gives_identical_snapshots(pair):
    first, second = pair
    a, b = _snapshot(first), _snapshot(second)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a["resources"]["documents"], "the scenario seeded resources"


def test_same_seed_gives_the_same_advertised_ids(pair):
    first, second = pair
    for field in ("tenant_id", "subscription_id", "client_id"):
        assert getattr(first.info, field) == getattr(second.info, field), field


def test_secrets_differ_between_data_folders_even_with_the_same_seed(pair):
    first, second = pair
    assert first.info.client_secret != second.info.client_secret
    assert first.info.admin_key != second.info.admin_key


def test_same_seed_still_same_after_a_reset(pair):
    first, second = pair
    ControlClient.of(first.info).call("POST", "/reset", {})  # no scenario named: the default one
    assert _snapshot(first) == _snapshot(second)


def test_another_seed_gives_other_ids(pair, tmp_path):
    first, _ = pair
    with start_in_thread(EmulatorConfig(home=tmp_path, seed="another", kubelet=False)) as other:
        assert other.info.tenant_id != first.info.tenant_id
        assert other.info.subscription_id != first.info.subscription_id
        assert other.info.client_id != first.info.client_id
        ids = {d["id"] for d in _snapshot(other)["resources"]["documents"]}
        assert ids.isdisjoint({d["id"] for d in _snapshot(first)["resources"]["documents"]})


def _random_start(home: Path) -> runtime.EmulatorInfo:
    result = cli(home, "start", "--port", "0", "--random", "--no-kubelet")
    assert result.returncode == 0, result.stderr
    return runtime.read(home)


@pytest.mark.slow
def test_random_flag_gives_other_ids_on_every_start(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    pids = []
    try:
        a = _random_start(one)
        pids.append(a.pid)
        b = _random_start(two)
        pids.append(b.pid)
        assert (a.deterministic, b.deterministic) == (False, False)
        assert a.tenant_id != b.tenant_id and a.subscription_id != b.subscription_id and a.client_id != b.client_id
    finally:
        for home in (one, two):
            cli(home, "stop")
        for pid in pids:
            kill_if_alive(pid)
