"""Benchmark of an emulator reset: the CPU time one `POST /_emulator/reset` to `before-you-begin` costs.

Why it matters: the kit's `fresh` fixture resets the session's emulator before each test that asks for
it, about a thousand times per `make test`, and `tests/emulator/test_reset_hygiene.py` resets a hundred
times; what a reset costs is paid that often, on the two cores the whole suite shares. Almost all of it is
the Kubernetes section's seeding (the store workload written through the API server, its controllers
run inline: replica sets, pods, scheduling, endpoints, events), and in that, copying objects. Two changes
cut it: the store copies with `kubernetes/plain.py` instead of `copy.deepcopy`, and in deterministic mode
a seeding from a start seen before replays what that one committed (`kubernetes/seeded.py`).

What it measures, on one in-process emulator without a kubelet (the `emulator` fixture's kind), in
deterministic mode:

- `reset`: CPU seconds of this process per reset (`time.process_time`, every thread: the server's
  included), through the control API with `ControlClient.reset`, as the fixture does; median and p95
  of the wall time too;
- `baseline`: the same resets as they ran before both changes: every seeding from scratch (nothing kept
  to replay) and every copy a `copy.deepcopy`; the ratio reset / baseline says what they save on the
  same machine.

Run (from the repository root, in the project venv; about 20-60 s with the defaults):

    PYTHONPATH=lib .venv/bin/python benchmarks/reset_bench.py              # 50 resets each, a table
    PYTHONPATH=lib .venv/bin/python benchmarks/reset_bench.py -n 200 --out reset.json

Measured on the 2-core CI-sized machine (shared with other work, so read the ratio; n=30):
0.060 CPU-s per reset against 0.283 for the baseline (ratio 0.21; wall median 0.038 s against 0.223 s).
The copy alone (before seeded.py) measured 0.144 against 0.222 (ratio 0.65). tests/emulator/
test_reset_hygiene.py's hundred resets with the kubelet took 9.8 s, against 26.1 s before both changes
(and 5.6 s for ten then).
"""
from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from keyless_emulator import ControlClient, EmulatorConfig, start_in_thread
from keyless_emulator.kubernetes import plain
from keyless_emulator.kubernetes.seeded import SeededClusters

SCENARIO = "before-you-begin"
WARMUP = 3


def measure(control: ControlClient, resets: int, before_each: Callable[[], None] = lambda: None) -> dict[str, Any]:
    for _ in range(WARMUP):
        before_each()
        control.reset(SCENARIO)
    walls = []
    cpu_start = time.process_time()
    for _ in range(resets):
        before_each()
        start = time.perf_counter()
        control.reset(SCENARIO)
        walls.append(time.perf_counter() - start)
    cpu = (time.process_time() - cpu_start) / resets
    walls.sort()
    return {"cpu_s_per_reset": round(cpu, 4), "wall_median_s": round(statistics.median(walls), 4),
            "wall_p95_s": round(walls[max(0, int(len(walls) * 0.95) - 1)], 4), "resets": resets}


def run(resets: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as home:
        emu = start_in_thread(EmulatorConfig(home=Path(home), kubelet=False))
        try:
            control = ControlClient.of(emu.info, timeout=60)
            report = {"reset": measure(control, resets)}
            section = emu.backend.kubernetes

            def from_scratch() -> None:  # nothing kept to replay: the reset seeds as before seeded.py
                section.seeded = SeededClusters()

            cheap = plain._clone
            plain._clone = copy.deepcopy  # the store's copier before plain.py; restored below
            try:
                report["baseline"] = measure(control, resets, from_scratch)
            finally:
                plain._clone = cheap
        finally:
            emu.stop()
    report["ratio_cpu"] = round(report["reset"]["cpu_s_per_reset"] / report["baseline"]["cpu_s_per_reset"], 3)
    return report


def table(report: dict[str, Any]) -> str:
    rows = [f"{'':10} {'CPU-s/reset':>12} {'wall median':>12} {'wall p95':>10}"]
    for name in ("reset", "baseline"):
        r = report[name]
        rows.append(f"{name:10} {r['cpu_s_per_reset']:>12.4f} {r['wall_median_s']:>12.4f} {r['wall_p95_s']:>10.4f}")
    rows.append(f"ratio (CPU) reset / baseline: {report['ratio_cpu']}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--resets", type=int, default=50, help="resets measured for each row (default 50)")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.resets < 1:
        parser.error("--resets must be at least 1")
    report = run(args.resets)
    print(table(report))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
