"""Time the runbook's main job on the emulator, `instant` vs `realistic` latency, side by side,
and count Resource Manager, Entra and Kubernetes requests per step from the request log.

    .venv/bin/python benchmarks/runbook_bench.py [--factor 0.01] [--json out.json]

The main job is the article end to end: discover, enable workload identity, identity, role,
federated credential, service account, redeploy, verify; then clean-up (timed separately).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))

import keyless  # noqa: E402
from keyless_emulator import ControlClient, EmulatorConfig, start_in_thread  # noqa: E402  (the benchmark drives the emulator itself)

STEPS = ("discover", "enable_workload_identity", "create_managed_identity", "assign_openai_role",
         "create_federated_credential", "create_service_account", "redeploy_app", "verify", "clean_up")


def run_profile(info: Any, profile: str, factor: float, data: Path) -> dict[str, Any]:
    control = ControlClient.of(info, timeout=60)
    control.reset("before-you-begin")
    control.latency(profile, factor)
    control.clear_requests()
    rb = keyless.init(keyless.Parameters(data_dir=str(data / profile), verify_timeout=300, rollout_timeout=300),
                      emulator=info)
    rows = []
    for step in STEPS:
        since = control.call("GET", "/requests")["last_seq"]
        started = time.perf_counter()
        result = getattr(rb, step)()
        seconds = time.perf_counter() - started
        log = control.request_log(since)
        by = Counter(r["surface"] for r in log if r["surface"] != "control")
        rows.append({"step": step, "status": result.status, "seconds": round(seconds, 3),
                     "arm": by.get("arm", 0), "entra": by.get("entra", 0), "kubernetes": by.get("kubernetes", 0),
                     "openai": by.get("openai", 0), "mutating": sum(r["mutating"] for r in log)})
    return {"profile": profile, "factor": factor, "steps": rows,
            "main_job_seconds": round(sum(r["seconds"] for r in rows if r["step"] != "clean_up"), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=float, default=0.01, help="realistic profile time factor (1.0 = real time)")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        emu = start_in_thread(EmulatorConfig(home=Path(tmp) / "emulator", kubelet=True), write_runtime=True)
        try:
            run_profile(emu.info, "instant", 1.0, Path(tmp) / "warm-up")  # imports, first token, kubelet start
            runs = [run_profile(emu.info, "instant", 1.0, Path(tmp)),
                    run_profile(emu.info, "realistic", args.factor, Path(tmp))]
        finally:
            emu.stop()
    instant, realistic = runs
    print(f"{'step':<28} {'instant s':>9} {'realistic s':>11} {'ratio':>6}  {'ARM':>4} {'Entra':>5} {'K8s':>4} "
          f"{'AOAI':>4} {'mut':>4}  status")
    for a, b in zip(instant["steps"], realistic["steps"], strict=True):
        ratio = b["seconds"] / a["seconds"] if a["seconds"] else float("nan")
        print(f"{a['step']:<28} {a['seconds']:>9.3f} {b['seconds']:>11.3f} {ratio:>6.1f}  {a['arm']:>4} "
              f"{a['entra']:>5} {a['kubernetes']:>4} {a['openai']:>4} {a['mutating']:>4}  {a['status']}/{b['status']}")
    ratio = realistic["main_job_seconds"] / instant["main_job_seconds"] if instant["main_job_seconds"] else float("nan")
    print(f"{'main job (without clean-up)':<28} {instant['main_job_seconds']:>9.3f} "
          f"{realistic['main_job_seconds']:>11.3f} {ratio:>6.1f}")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "ratio": ratio}, indent=2))
    return 0 if all(r["status"] != "failed" for run in runs for r in run["steps"]) else 1


if __name__ == "__main__":
    sys.exit(main())
