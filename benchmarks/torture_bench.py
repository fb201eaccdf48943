"""Reliability at full strength (issue 13): the torture suite's two loops run many times, in parallel
processes, each with an emulator of its own, reporting held/total per fault kind.

    .venv/bin/python benchmarks/torture_bench.py [--runs 50] [--kills 200] [--workers 2]
                                                 [--minutes 60] [--seed N] [--json out/bench/torture.json]

- Fault runs: the article's steps 00-05 (the verification included), 06 (key access off) and
  clean-up, each under about 20 % injected faults of every kind (`tests/runbook/test_torture.py`:
  MATRIX + DATA_PLANE, a fresh random phase per run so runs meet faults at different requests).
  A run holds when every step passed and the emulator's snapshot equals the start (read-only
  server fields aside, as `normalise` says). Per kind: held / runs in which that kind fired.
- Interruptions: a run of the steps (01-04, then 06) in its own process killed (SIGKILL) after a
  random number of mutating requests (the first of each worker inside the held cluster update),
  then a rerun and a clean-up; or, for about a third of the kills (drawn from the seed), the steps
  run to the end and clean-up is killed after a random number of its own mutating requests, then
  run again (`tests/runbook/test_interruptions.py`: one_interruption). Held: every step passed
  and the snapshot equals the start. Per place: held / kills landing after that request.

The tests run the same functions a few times (their defaults stay small, for `make test`); this
script is where the counts the issue names are measured. Bounded: each worker stops starting new
runs after `--minutes`, and the summary says how many ran. A worker is this script with
`--worker`; it prints one JSON line per run.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))
sys.path.insert(0, str(ROOT / "tests"))  # the torture suite's run functions and its fault matrix

from runbook.test_full_run import MAIN  # noqa: E402
from runbook.test_interruptions import CLEAN_UP_WRITES, STEP_WRITES, one_interruption  # noqa: E402
from runbook.test_torture import DATA_PLANE, MATRIX, kind, one_run, phased  # noqa: E402

from keyless_emulator import ControlClient, EmulatorConfig, start_in_thread  # noqa: E402

STEPS = (*MAIN, "verify", "disable_key_access")  # 00-05, then 06 (key access off), which clean-up undoes


def worker(part: str, count: int, seed: int, first: int, deadline: float) -> None:
    """`count` runs of one part on an emulator of this process, one JSON line each, until `deadline`."""
    rng = random.Random(seed)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: still stop the emulator and its pods
    with tempfile.TemporaryDirectory(prefix="torture-") as tmp:
        emu = start_in_thread(EmulatorConfig(home=Path(tmp) / "emulator", kubelet=True))
        try:
            control = ControlClient.of(emu.info, timeout=60)
            for i in range(count):
                if time.time() > deadline:
                    break
                data = Path(tmp) / f"data-{i}"
                if part == "faults":
                    row = one_run(emu.info, control, data, phased(MATRIX + DATA_PLANE, rng), STEPS)
                else:
                    in_update = i == 0 and first == 0  # killed inside the held cluster update: the first PUT
                    in_clean_up = not in_update and rng.random() < 1 / 3  # a third land inside clean-up
                    after = 1 if in_update else rng.randint(1, CLEAN_UP_WRITES if in_clean_up else STEP_WRITES)
                    try:
                        row = one_interruption(emu.info, control, data, after=after, in_cluster_update=in_update,
                                               in_clean_up=in_clean_up)
                    except Exception:  # noqa: BLE001 - the kill went wrong: a failed row, then go on
                        row = {"where": f"not killed (after {after})", "held": False, "not_restored": [],
                               "failed": [traceback.format_exc(limit=-4)]}
                print(json.dumps({"part": part, "index": first + i, **row}), flush=True)
        finally:
            emu.stop()


def shares(total: int, workers: int) -> list[tuple[int, int]]:
    """(first index, count) per worker: `total` split as evenly as it goes."""
    out, first = [], 0
    for w in range(workers):
        n = total // workers + (1 if w < total % workers else 0)
        if n:
            out.append((first, n))
        first += n
    return out


def place_of(where: str) -> str:
    """The request a kill came after ("clean-up: ..." when it landed inside clean-up), or what happened instead."""
    if where.startswith("killed"):
        return where.split(": ", 1)[-1]
    if where.startswith("clean-up killed"):
        return "clean-up: " + where.split(": ", 1)[-1]
    return where


def summarise(rows: list[dict[str, Any]], planned: dict[str, int], seed: int, seconds: float) -> dict[str, Any]:
    faults = [r for r in rows if r["part"] == "faults"]
    kills = [r for r in rows if r["part"] == "interruptions"]
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    injected: Counter[str] = Counter()
    for r in faults:
        for k, n in r["fired"].items():
            injected[k] += n
            if n:
                per_kind[k][1] += 1
                per_kind[k][0] += r["held"]
    per_place: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in kills:
        place = place_of(r["where"])
        per_place[place][1] += 1
        per_place[place][0] += r["held"]
    sent = sum(r["sent"] for r in faults)
    return {
        "seed": seed, "seconds": round(seconds), "steps": list(STEPS) + ["clean_up"],
        "faults": {"planned": planned["faults"], "ran": len(faults), "held": sum(r["held"] for r in faults),
                   "requests": sent, "injected": sum(injected.values()),
                   "injected_percent": round(100 * sum(injected.values()) / max(sent, 1), 1),
                   "per_kind": {k: {"held": h, "runs": t, "injected": injected[k]}
                                for k, (h, t) in sorted(per_kind.items())},
                   "never_fired": sorted(kind(f) for f in MATRIX + DATA_PLANE if not injected[kind(f)]),
                   "failures": [{k: r[k] for k in ("index", "failed", "not_restored")} for r in faults
                                if not r["held"]]},
        "interruptions": {"planned": planned["interruptions"], "ran": len(kills), "held": sum(r["held"] for r in kills),
                          "per_place": {p: {"held": h, "kills": t} for p, (h, t) in sorted(per_place.items())},
                          "failures": [{k: r[k] for k in ("index", "where", "failed", "not_restored")} for r in kills
                                       if not r["held"]]},
    }


def run_workers(jobs: list[tuple[str, int, int]], workers: int, seed: int, deadline: float) -> list[dict[str, Any]]:
    """The jobs, at most `workers` processes at once (the fault part first, then the interruptions);
    the rows they printed, each shown as it is read."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "lib")}
    rows: list[dict[str, Any]] = []
    queue = list(jobs)
    running: list[tuple[subprocess.Popen[str], Path]] = []
    read: dict[Path, int] = {}  # per worker: how many of its rows were read (shown as they come)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="torture-bench-") as logs:
        try:
            while queue or running:
                while queue and len(running) < workers:
                    part, first, n = queue.pop(0)
                    out = Path(logs) / f"{part}-{first}"
                    with open(f"{out}.jsonl", "w") as stdout, open(f"{out}.log", "w") as stderr:
                        running.append((subprocess.Popen(
                            [sys.executable, __file__, "--worker", part, "--runs", str(n), "--first", str(first),
                             "--seed", str(seed + first + (0 if part == "faults" else 1 << 20)),
                             "--deadline", str(deadline)], stdout=stdout, stderr=stderr, text=True, env=env,
                            cwd=ROOT), out))
                finished = [(p, out) for p, out in running if p.poll() is not None]
                for _, out in running:  # the rows so far, so a long run can be followed (and cut short)
                    new = read_rows(Path(f"{out}.jsonl"), skip=read.get(out, 0))
                    read[out] = read.get(out, 0) + len(new)
                    rows += new
                if not finished:
                    time.sleep(2)
                    continue
                for proc, out in finished:
                    running.remove((proc, out))
                    if proc.returncode:
                        print(f"worker {out.name} exited {proc.returncode}:\n"
                              + Path(f"{out}.log").read_text()[-2000:], flush=True)
        finally:
            for proc, _ in running:  # stopped early: each worker stops its emulator and pods on SIGTERM
                proc.terminate()
                proc.wait(timeout=60)
    return rows


def read_rows(path: Path, skip: int = 0) -> list[dict[str, Any]]:
    """A worker's complete JSON lines after the first `skip` (the steps' headless progress lines between
    them left out; a line still being written waits for the next read)."""
    rows = []
    text = path.read_text()
    lines = [line for line in text[:text.rfind("\n") + 1].splitlines() if line.startswith("{")]
    for line in lines[skip:]:
        row = json.loads(line)
        rows.append(row)
        print(f"{row['part']} #{row['index']}: {'held' if row['held'] else 'FAILED'}"
              f"{' ' + row['where'] if 'where' in row else ''} ({row.get('seconds', '-')}s)", flush=True)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=50, help="fault runs (steps 00-06 and clean-up)")
    ap.add_argument("--kills", type=int, default=200, help="interruptions, each followed by a rerun and clean-up")
    ap.add_argument("--workers", type=int, default=2, help="parallel processes, each with its own emulator")
    ap.add_argument("--minutes", type=float, default=60.0, help="no run starts after this many minutes")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--json", type=Path, default=ROOT / "out" / "bench" / "torture.json")
    ap.add_argument("--worker", choices=("faults", "interruptions"), help=argparse.SUPPRESS)
    ap.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--deadline", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    if args.worker:
        worker(args.worker, args.runs, seed, args.first, args.deadline)
        return 0

    started = time.time()
    deadline = started + 60 * args.minutes
    jobs = [("faults", first, n) for first, n in shares(args.runs, args.workers)]
    jobs += [("interruptions", first, n) for first, n in shares(args.kills, args.workers)]
    rows = run_workers(jobs, args.workers, seed, deadline)
    summary = summarise(rows, {"faults": args.runs, "interruptions": args.kills}, seed, time.time() - started)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=2) + "\n")
    f, k = summary["faults"], summary["interruptions"]
    print(f"faults: {f['held']} of {f['ran']} runs held ({f['planned']} planned), {f['injected']} faults in "
          f"{f['requests']} requests ({f['injected_percent']} %)")
    for name, c in f["per_kind"].items():
        print(f"  {c['held']:>3}/{c['runs']:<3} {name} ({c['injected']} injected)")
    print(f"interruptions: {k['held']} of {k['ran']} held ({k['planned']} planned)")
    for place, c in k["per_place"].items():
        print(f"  {c['held']:>3}/{c['kills']:<3} {place}")
    print(f"wrote {args.json}")
    return 0 if f["held"] == f["ran"] and k["held"] == k["ran"] else 1


if __name__ == "__main__":
    sys.exit(main())
