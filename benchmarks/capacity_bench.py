"""A workshop room on one machine: N attendees' runbooks against one background emulator.

    .venv/bin/python benchmarks/capacity_bench.py [-n 30] [-j 6] [--only 00,01,...] [--idle-stop 120]
                                                  [--timeout 1500] [--out out/bench/capacity.json] [--keep DIR]

Starts an emulator (kubelet on, instant latency) in a temporary data folder (`--keep DIR`: in DIR, kept
with every attendee's run for inspection), adds N attendees with
`python -m keyless_emulator attendees add` (the attendees API a facilitator uses), then drives each
attendee's runbook (`python -m keyless run --attendee NAME --no-reset`) with at most `-j` running at
once. It reports:
- memory of the emulator's whole process tree (psutil: RSS, PSS and USS summed over the emulator,
  its pod runtime host and every store app; see process_tree.py) with only the default tenant,
  with N attendees whose store apps all serve (just added; with idle stop on, the most seen serving
  at once, as the first may stop before the last started: then per attendee is per 3 such apps),
  with N idle attendees (their apps
  stopped for idleness, `--idle-stop` seconds after their last request: kubelet/idle.py), and at
  the peak of the run (sampled each second), and per attendee beyond the first:
  (figure - default tenant only) / N;
- each step's and each notebook's p50/p95 duration across attendees, the wall time, the errors.
Progress goes to stdout as each attendee's runbook ends, with the tree's memory every 30 seconds;
a runbook running longer than `--timeout` seconds is ended and counted as an error.

The baseline is the default tenant alone, serving or with its apps stopped for idleness: memory per
attendee is measured against the one in the same condition (the peak against the serving one). The store
apps of a tenant are forked from one pre-imported host and share its pages, so PSS (each shared
page divided among its sharers) is the figure that adds up; RSS counts shared pages once per
process and overstates a forked tree several times over.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
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


def most_serving(pid: int, apps: int, timeout: float) -> tuple[float, int, dict[str, Any]]:
    """(seconds, apps serving, tree memory) when `apps` store apps listen, or, with idle stop on, when
    the first of them were stopped for idleness before the last started (the most seen at once)."""
    started, best, memory = time.monotonic(), 0, tree_memory(pid)
    while True:
        count = listening(pid)
        if count > best:
            best, memory, at = count, tree_memory(pid), time.monotonic() - started
            if count >= apps:
                time.sleep(SETTLE_S)
                return time.monotonic() - started, listening(pid), tree_memory(pid)
        elif best and count < best:
            return at, best, memory
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"only {count} of {apps} store apps listen after {timeout:.0f}s")
        time.sleep(0.5)


def per_attendee(figure: dict[str, Any], base: dict[str, Any], n: float) -> dict[str, float | None]:
    return {key: (round((figure[key] - base[key]) / n, 1) if figure[key] is not None and base[key] is not None
                  else None) for key in ("rss_mib", "pss_mib", "uss_mib")}


def until_idle(pid: int, timeout: float) -> float:
    """Seconds until no store app of the tree runs any more (each stopped for idleness)."""
    started = time.monotonic()
    while listening(pid):
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{listening(pid)} store apps still run {timeout:.0f}s after the last request")
        time.sleep(1.0)
    time.sleep(SETTLE_S)
    return time.monotonic() - started


@contextlib.contextmanager
def _work_folder(keep: Path | None) -> Iterator[str]:
    """`keep`, created if new and left in place, else a temporary folder removed at the end."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="keyless-capacity-bench-") as tmp:
            yield tmp
        return
    keep.mkdir(parents=True, exist_ok=True)
    yield str(keep.resolve())


def run_attendee(name: str, home: Path, out: Path, only: str, env: dict[str, str],
                 timeout: float) -> tuple[str, int, str, float]:
    cmd = [sys.executable, "-m", "keyless", "run", "-p", "data_dir", str(home), "--attendee", name, "--no-reset",
           "--out", str(out / name)]
    if only:
        cmd += ["--only", only]
    started = time.monotonic()
    try:
        done = subprocess.run(cmd, cwd=out, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return name, -1, f"ended after {timeout:.0f}s (--timeout)", time.monotonic() - started
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
    return name, done.returncode, last, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--attendees", type=int, default=30, help="attendees (default 30)")
    parser.add_argument("-j", "--parallel", type=int, default=6,
                        help="runbooks running at once (default 6; a room rarely starts a section all together)")
    parser.add_argument("--only", default="", help="notebook prefixes to run (default: all)")
    parser.add_argument("--idle-stop", type=float, default=EmulatorConfig.idle_stop,
                        help=f"the emulator's --idle-stop: seconds before an unused store app is stopped "
                             f"(default {EmulatorConfig.idle_stop:g}; 0: never, and no idle figure; longer than "
                             f"the attendees take to start, or the serving figure is never reached)")
    parser.add_argument("--timeout", type=float, default=1500.0,
                        help="seconds one attendee's runbook may take before it is ended as an error (default 1500)")
    parser.add_argument("--out", "--json", dest="out", type=Path, help="also write the figures as JSON")
    parser.add_argument("--keep", type=Path,
                        help="a new or empty folder to keep the emulator's data and every attendee's run in "
                             "(executed notebooks, step logs, report.json); default: a temporary folder, removed")
    args = parser.parse_args(argv)
    if args.attendees < 1 or args.parallel < 1:
        parser.error("--attendees and --parallel must be at least 1")
    if args.idle_stop < 0 or args.timeout <= 0:
        parser.error("--idle-stop must be 0 or more and --timeout above 0")
    if args.keep is not None and args.keep.exists() and (not args.keep.is_dir() or any(args.keep.iterdir())):
        parser.error(f"--keep {args.keep}: must be a new or empty folder")
    names = [f"attendee{i:02d}" for i in range(1, args.attendees + 1)]
    errors: dict[str, str] = {}
    with _work_folder(args.keep) as tmp:
        home, out = Path(tmp) / "data", Path(tmp) / "out"
        out.mkdir()
        info = start_background(EmulatorConfig(home=home, idle_stop=args.idle_stop))
        try:
            until_serving(info.pid, APPS_PER_TENANT, 120)
            base = base_serving = tree_memory(info.pid)
            if args.idle_stop:  # the baseline of the idle figure: the default tenant's apps stopped too
                until_idle(info.pid, args.idle_stop + 120)
                base = tree_memory(info.pid)
            print(f"the default tenant alone: PSS {base_serving['pss_mib']} MiB serving, {base['pss_mib']} MiB idle",
                  flush=True)
            added = subprocess.run([sys.executable, "-m", "keyless_emulator", "--home", str(home), "attendees", "add",
                                    *names], capture_output=True, text=True)
            if added.returncode:
                print(added.stderr, file=sys.stderr)
                return 1
            pid = attach(home).pid
            # the default tenant's apps are stopped by now when idle stop is on; they start on a request only
            apps = APPS_PER_TENANT * (args.attendees + (0 if args.idle_stop else 1))
            ready_s, serving_apps, serving = most_serving(pid, apps, 120 + 10 * args.attendees)
            print(f"{args.attendees} attendees added, {serving_apps} of {apps} store apps serving at once after "
                  f"{ready_s:.0f}s: PSS {serving['pss_mib']} MiB", flush=True)
            idle_s = None
            if args.idle_stop:
                idle_s = until_idle(pid, args.idle_stop + 120)
                print(f"every store app stopped for idleness after {idle_s:.0f}s", flush=True)
            idle = tree_memory(pid)
            peak = dict(idle)
            finished = threading.Event()
            begun = time.monotonic()

            def sample() -> None:
                while not finished.wait(1.0):
                    now = tree_memory(pid)
                    if int(time.monotonic() - begun) % 30 == 0:
                        print(f"  [{time.monotonic() - begun:5.0f}s] PSS {now['pss_mib']} MiB, "
                              f"{now['processes']} processes, load {os.getloadavg()[0]:.1f}", flush=True)
                    for key in ("rss_mib", "pss_mib", "uss_mib"):
                        if now[key] is not None and (peak[key] is None or now[key] > peak[key]):
                            peak[key] = now[key]

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            env = {k: v for k, v in os.environ.items() if not k.startswith(("KEYLESS_", "AZURE_"))}
            started, ended = time.monotonic(), 0
            with ThreadPoolExecutor(max_workers=args.parallel) as pool:
                runs = [pool.submit(run_attendee, n, home, out, args.only, env, args.timeout) for n in names]
                for future in as_completed(runs):
                    name, code, last, took = future.result()
                    ended += 1
                    print(f"  [{time.monotonic() - started:5.0f}s] {name} {'failed' if code else 'passed'} in "
                          f"{took:.0f}s ({ended}/{len(names)})", flush=True)
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
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "attendees": n, "parallel": args.parallel, "only": args.only or "all", "errors": errors,
        "wall_s": round(wall, 1), "attendees_ready_s": round(ready_s, 1), "idle_stop_s": args.idle_stop,
        "serving_apps_at_once": serving_apps,
        "apps_stopped_idle_after_s": round(idle_s, 1) if idle_s is not None else None,
        "memory": {"default_tenant_only": base, "attendees_serving": serving, "attendees_idle": idle, "peak": peak,
                   "default_tenant_serving": base_serving,
                   "per_attendee_serving": (per_attendee(serving, base, serving_apps / APPS_PER_TENANT)
                                            if args.idle_stop else per_attendee(serving, base_serving, n)),
                   "per_attendee_idle": per_attendee(idle, base, n),
                   "per_attendee_peak": per_attendee(peak, base_serving, n)},
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
