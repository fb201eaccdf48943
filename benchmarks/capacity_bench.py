"""A workshop room on one machine: N attendees' runbooks against one background emulator.

    .venv/bin/python benchmarks/capacity_bench.py [-n 30] [-j 6] [--only 00,01,...] [--out out/bench/capacity.json]

Starts an emulator (kubelet on, instant latency) in a temporary data folder, adds N attendees with
`python -m keyless_emulator attendees add` (the attendees API a facilitator uses), then drives each
attendee's runbook (`python -m keyless run --attendee NAME --no-reset`) with at most `-j` running at
once. It reports:
- memory of the emulator's whole process tree (psutil: RSS, PSS and USS summed over the emulator,
  its pod runtime host and every store app; see process_tree.py) with only the default tenant,
  with N idle attendees (every store app listening), and at the peak of the run (sampled each
  second), and per attendee beyond the first: (figure - default tenant only) / N;
- each step's and each notebook's p50/p95 duration across attendees, the wall time, the errors.

The baseline is the default tenant alone: memory per attendee is measured against it. The store
apps of a tenant are forked from one pre-imported host and share its pages, so PSS (each shared
page divided among its sharers) is the figure that adds up; RSS counts shared pages once per
process and overstates a forked tree several times over.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))

from process_tree import listening, tree_memory  # noqa: E402

from keyless_emulator import EmulatorConfig, attach, start_background, stop  # noqa: E402

APPS_PER_TENANT = 3  # ai-service, product-service, store-admin
SETTLE_S = 2.0  # after the apps listen: readiness probes answered, as a user finds the store


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def until_serving(pid: int, apps: int, timeout: float) -> float:
    """Seconds until `apps` store apps of the emulator's tree listen."""
    started = time.monotonic()
    while listening(pid) < apps:
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"only {listening(pid)} of {apps} store apps listen after {timeout:.0f}s")
        time.sleep(0.5)
    time.sleep(SETTLE_S)
    return time.monotonic() - started


def per_attendee(figure: dict[str, Any], base: dict[str, Any], n: int) -> dict[str, float | None]:
    return {key: (round((figure[key] - base[key]) / n, 1) if figure[key] is not None and base[key] is not None
                  else None) for key in ("rss_mib", "pss_mib", "uss_mib")}


def run_attendee(name: str, home: Path, out: Path, only: str, env: dict[str, str]) -> tuple[str, int, str]:
    cmd = [sys.executable, "-m", "keyless", "run", "-p", "data_dir", str(home), "--attendee", name, "--no-reset",
           "--out", str(out / name)]
    if only:
        cmd += ["--only", only]
    done = subprocess.run(cmd, cwd=out, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
    return name, done.returncode, last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--attendees", type=int, default=30, help="attendees (default 30)")
    parser.add_argument("-j", "--parallel", type=int, default=6,
                        help="runbooks running at once (default 6; a room rarely starts a section all together)")
    parser.add_argument("--only", default="", help="notebook prefixes to run (default: all)")
    parser.add_argument("--out", "--json", dest="out", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.attendees < 1 or args.parallel < 1:
        parser.error("--attendees and --parallel must be at least 1")
    names = [f"attendee{i:02d}" for i in range(1, args.attendees + 1)]
    errors: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="keyless-capacity-bench-") as tmp:
        home, out = Path(tmp) / "data", Path(tmp) / "out"
        out.mkdir()
        info = start_background(EmulatorConfig(home=home))
        try:
            until_serving(info.pid, APPS_PER_TENANT, 120)
            base = tree_memory(info.pid)
            added = subprocess.run([sys.executable, "-m", "keyless_emulator", "--home", str(home), "attendees", "add",
                                    *names], capture_output=True, text=True)
            if added.returncode:
                print(added.stderr, file=sys.stderr)
                return 1
            pid = attach(home).pid
            ready_s = until_serving(pid, APPS_PER_TENANT * (args.attendees + 1), 120 + 10 * args.attendees)
            idle = tree_memory(pid)
            peak = dict(idle)
            finished = threading.Event()

            def sample() -> None:
                while not finished.wait(1.0):
                    now = tree_memory(pid)
                    for key in ("rss_mib", "pss_mib", "uss_mib"):
                        if now[key] is not None and (peak[key] is None or now[key] > peak[key]):
                            peak[key] = now[key]

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            env = {k: v for k, v in os.environ.items() if not k.startswith(("KEYLESS_", "AZURE_"))}
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=args.parallel) as pool:
                for name, code, last in pool.map(lambda n: run_attendee(n, home, out, args.only, env), names):
                    if code:
                        errors[name] = last
            wall = time.monotonic() - started
            finished.set()
            sampler.join()
            steps: dict[str, list[float]] = {}
            books: dict[str, list[float]] = {}
            for name in names:
                report = out / name / "report.json"
                if not report.exists():
                    continue
                for nb in json.loads(report.read_text())["notebooks"]:
                    books.setdefault(nb["name"], []).append(nb["duration_s"])
                    for s in nb["steps"]:
                        steps.setdefault(f"{nb['name'][:2]} {s['step']}", []).append(s.get("duration_s", 0.0))
        finally:
            stop(home)
    n = args.attendees
    figures: dict[str, Any] = {
        "attendees": n, "parallel": args.parallel, "only": args.only or "all", "errors": errors,
        "wall_s": round(wall, 1), "attendees_ready_s": round(ready_s, 1),
        "memory": {"default_tenant_only": base, "attendees_idle": idle, "peak": peak,
                   "per_attendee_idle": per_attendee(idle, base, n), "per_attendee_peak": per_attendee(peak, base, n)},
        "notebooks": {k: {"p50": round(statistics.median(v), 1), "p95": round(percentile(v, 0.95), 1)}
                      for k, v in books.items()},
        "steps": {k: {"p50": round(statistics.median(v), 2), "p95": round(percentile(v, 0.95), 2)}
                  for k, v in steps.items()},
        "machine": {"cpus": os.cpu_count(), "load_average": [round(x, 1) for x in os.getloadavg()]},
    }
    print(f"{n} attendees, at most {args.parallel} at once: wall {figures['wall_s']}s, {len(errors)} failed")
    print(f"  {'memory (MiB)':<28} {'PSS':>8} {'USS':>8} {'RSS':>8}")
    for k, v in figures["memory"].items():
        print(f"  {k:<28} {v['pss_mib']!s:>8} {v['uss_mib']!s:>8} {v['rss_mib']!s:>8}")
    for k, v in figures["notebooks"].items():
        print(f"  {k:<34} p50 {v['p50']:>6}s  p95 {v['p95']:>6}s")
    for k, v in figures["steps"].items():
        print(f"    {k:<32} p50 {v['p50']:>6}s  p95 {v['p95']:>6}s")
    for name, error in errors.items():
        print(f"  FAILED {name}: {error}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"wrote {args.out}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
