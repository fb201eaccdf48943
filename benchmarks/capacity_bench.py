"""A workshop room on one machine: N attendees' runbooks at once against one background emulator.

    .venv/bin/python benchmarks/workshop_bench.py [--attendees 30] [--only 00,01,...] [--json out.json]

Starts an emulator (kubelet on, instant latency) in a temporary data folder, adds N attendees with
`python -m keyless_emulator attendees add`, then starts N `python -m keyless run --attendee NAME`
processes together. While they run it samples the memory (RSS) of the emulator and every process it
started (the store apps of every attendee's cluster). It reports each step's p50/p95 duration across
attendees, every notebook's, the failures, the wall time, and the memory: with only the default tenant,
with N idle attendees, and at the peak of the run, per attendee beyond the first.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))

from keyless_emulator import EmulatorConfig, attach, start_background, stop  # noqa: E402


def tree_rss_mb(root: int) -> float:
    """Resident memory of `root` and all its descendants, in MB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total / 1e6


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attendees", type=int, default=30)
    parser.add_argument("--only", default="", help="notebook prefixes to run (default: all)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    names = [f"attendee{i:02d}" for i in range(1, args.attendees + 1)]
    with tempfile.TemporaryDirectory(prefix="keyless-workshop-bench-") as tmp:
        home = Path(tmp) / "data"
        info = start_background(EmulatorConfig(home=home))
        try:
            time.sleep(3)  # the default tenant's store apps settle
            base = tree_rss_mb(info.pid)
            added = subprocess.run([sys.executable, "-m", "keyless_emulator", "--home", str(home), "attendees", "add",
                                    *names], capture_output=True, text=True)
            if added.returncode:
                print(added.stderr, file=sys.stderr)
                return 1
            time.sleep(5)
            idle = tree_rss_mb(attach(home).pid)
            peak = [idle]
            done = threading.Event()

            def sample() -> None:
                while not done.wait(1.0):
                    peak.append(tree_rss_mb(info.pid))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            env = {k: v for k, v in os.environ.items() if not k.startswith(("KEYLESS_", "AZURE_"))}
            started = time.monotonic()
            procs = {}
            for name in names:
                cmd = [sys.executable, "-m", "keyless", "run", "-p", "data_dir", str(home), "--attendee", name,
                       "--no-reset", "--out", str(Path(tmp) / "out" / name)]
                if args.only:
                    cmd += ["--only", args.only]
                procs[name] = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.PIPE, text=True)
            errors = {}
            for name, proc in procs.items():
                _, err = proc.communicate()
                if proc.returncode:
                    errors[name] = err.strip().splitlines()[-1] if err.strip() else f"exit {proc.returncode}"
            wall = time.monotonic() - started
            done.set()
            sampler.join()
            steps: dict[str, list[float]] = {}
            books: dict[str, list[float]] = {}
            for name in names:
                report = Path(tmp) / "out" / name / "report.json"
                if not report.exists():
                    continue
                for nb in json.loads(report.read_text())["notebooks"]:
                    books.setdefault(nb["name"], []).append(nb["duration_s"])
                    for s in nb["steps"]:
                        steps.setdefault(f"{nb['name'][:2]} {s['step']}", []).append(s.get("duration_s", 0.0))
        finally:
            stop(home)
    n = max(1, args.attendees)
    figures: dict[str, Any] = {
        "attendees": args.attendees, "errors": errors, "wall_s": round(wall, 1),
        "memory_mb": {"default_tenant_only": round(base), "attendees_idle": round(idle), "peak": round(max(peak)),
                      "per_attendee_idle": round((idle - base) / n, 1),
                      "per_attendee_peak": round((max(peak) - base) / n, 1)},
        "notebooks": {k: {"p50": round(statistics.median(v), 1), "p95": round(percentile(v, 0.95), 1)}
                      for k, v in books.items()},
        "steps": {k: {"p50": round(statistics.median(v), 2), "p95": round(percentile(v, 0.95), 2)}
                  for k, v in steps.items()},
    }
    print(f"{args.attendees} attendees: wall {figures['wall_s']}s, {len(errors)} failed")
    for k, v in figures["memory_mb"].items():
        print(f"  memory {k:<20} {v} MB")
    for k, v in figures["notebooks"].items():
        print(f"  {k:<34} p50 {v['p50']:>6}s  p95 {v['p95']:>6}s")
    for k, v in figures["steps"].items():
        print(f"    {k:<32} p50 {v['p50']:>6}s  p95 {v['p95']:>6}s")
    for name, error in errors.items():
        print(f"  FAILED {name}: {error}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
