"""What users wait for: `python -m keyless run`, timed as a whole process against two baselines on the
same emulator, alternating, with min / median and ratios; and, with --steps, the runbook's steps
timed one by one at the `instant` and `realistic` latency profiles with their request counts, and the
realistic run against its critical-path bound (`critical_path`: the cluster updates' durations plus
the work that cannot run underneath them).

    .venv/bin/python benchmarks/runbook_bench.py [--rounds 3] [--json out.json]
    .venv/bin/python benchmarks/runbook_bench.py --steps [--factor 0.05] [--json out.json]
    .venv/bin/python benchmarks/runbook_bench.py --profile [--rounds 3] [--only 00,01,02,03,04,05]

--profile: where the wall time of one `python -m keyless run` goes, as a table of components (median
over the rounds): the process's start before the first notebook (imports, the emulator's reset), the
kernel's start (up to the first cell), each kind of cell (keyless.init, each step), the gaps between
cells and between notebooks (papermill's bookkeeping, writing each executed notebook, the fresh
session), and the tail after the last cell (kernel shutdown, HTML renderings, report.json). Times
come from the runner's own log lines and papermill's per-cell timestamps.

The contenders, each a fresh process against the emulator reset to before-you-begin:
- `keyless run`: `python -m keyless run` (every notebook: the article, its exercise and clean-up);
- `keyless 00-05`: the same with `--only 00,01,02,03,04,05 -p exercise False` (the article's steps with the
  runbook's checks, without 05's exercise);
- `article script` (baseline): the article's commands as a learner types them, the real Azure CLI
  (`python -m azure.cli` from the cached environment of tests/azure_cli_venv.py, its sign-in
  included) and kubectl, without the exercise or clean-up; skipped, saying so, when that
  environment has not been built (`make test` builds it);
- `sdk script` (baseline): `benchmarks/sdk_script.py`, one plain Python process doing the whole run's
  work (the steps, the exercise, key access off, clean-up) with the same SDKs and kubectl and no
  runbook library, notebooks or kernels.
Ratios: keyless 00-05 / article script (the article's steps; keyless also checks the result, asking ai-service
for a description in 05, which the script does not),
keyless run / sdk script.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))
sys.path.insert(0, str(ROOT / "tests"))  # azure_cli_venv: where the cached Azure CLI lives

from azure_cli_venv import MARKER, venv_dir  # noqa: E402
from store_manifests import article  # noqa: E402

import keyless  # noqa: E402
from keyless_emulator import (  # noqa: E402  (the benchmark drives the emulator itself)
    ControlClient,
    EmulatorConfig,
    start_background,
    start_in_thread,
    stop,
)
from keyless_emulator.azcli import AzSetup, offline_environment  # noqa: E402

KUBECTL = Path(sys.executable).parent / "kubectl"
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


# What may run while a cluster update runs (the dependency graph of the article's steps): notebook 01's
# update overlaps the identity and the role assignment (the federated credential needs its issuer URL);
# clean-up's update turning workload identity off overlaps every other removal.
OVERLAPS_ENABLE = ("create_managed_identity", "assign_openai_role")


def critical_path(instant: dict[str, Any], update_seconds: float) -> float:
    """The least time the steps can take when each cluster update takes `update_seconds`: every step's own
    work (its time at the instant profile) in order, except that the work allowed to overlap an update
    counts only beyond the update's duration."""
    s = {r["step"]: r["seconds"] for r in instant["steps"]}
    forward = sum(v for k, v in s.items() if k not in (*OVERLAPS_ENABLE, "enable_workload_identity", "clean_up"))
    forward += s["enable_workload_identity"] + max(update_seconds, sum(s[k] for k in OVERLAPS_ENABLE))
    return forward + max(update_seconds, s["clean_up"])


def steps_main(args: argparse.Namespace) -> int:
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
    from keyless_emulator.latency import LatencyProfile

    update = LatencyProfile("realistic", args.factor).duration("Microsoft.ContainerService/managedClusters", "put")
    total = sum(r["seconds"] for r in realistic["steps"])
    bound = critical_path(instant, update)
    path = {"update_seconds": round(update, 3), "run_seconds": round(total, 3), "bound_seconds": round(bound, 3),
            "ratio": round(total / bound, 3)}
    print(f"realistic run {total:.2f}s; critical-path bound {bound:.2f}s (two cluster updates of {update:.1f}s, "
          f"the rest at its instant time); ratio {total / bound:.3f}x")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "ratio": ratio, "critical_path": path}, indent=2))
    return 0 if all(r["status"] != "failed" for run in runs for r in run["steps"]) else 1


# ---- the whole process against its baselines -------------------------------------------------------

# The article's manifests (one copy, lib/store_manifests/article.py), filled with the script's shell variables.
SERVICE_ACCOUNT = article.SERVICE_ACCOUNT.format(client_id="$CLIENT_ID")
DEPLOYMENT = article.AI_SERVICE_DEPLOYMENT.format(deployment="$DEPLOYMENT", endpoint="$ENDPOINT")

RG, CLUSTER, ACCOUNT = "myResourceGroup", "myAKSCluster", "myOpenAIAccount"
IDENTITY, FIC = "myIdentity", "myFedIdentity"


def article_script(setup: AzSetup, az: str) -> str:
    """The article's commands as shell lines (the sign-in first, as a learner's shell needs it)."""
    kubectl = f"{shlex.quote(str(KUBECTL))} --cache-dir {shlex.quote(str(Path(setup.info.home) / 'kube-cache'))}"
    def line(args: list[str]) -> str:
        return f"{az} " + " ".join('"$AZURE_CLIENT_SECRET"' if a == "$SECRET" else shlex.quote(a) for a in args)

    sign_in = "\n".join(line(args) for args in setup.commands("$SECRET", fresh=True))
    return f"""set -euo pipefail
rm -rf "$AZURE_CONFIG_DIR"  # every round signs in as on a fresh machine (the cloud registered anew)
mkdir -p "$AZURE_CONFIG_DIR" {shlex.quote(str(setup.kubeconfig.parent))}
{sign_in}
{az} aks update -g {RG} -n {CLUSTER} --enable-oidc-issuer --enable-workload-identity -o none
ISSUER=$({az} aks show -g {RG} -n {CLUSTER} --query oidcIssuerProfile.issuerUrl -o tsv)
{az} identity create -n {IDENTITY} -g {RG} --location eastus -o none
CLIENT_ID=$({az} identity show -n {IDENTITY} -g {RG} --query clientId -o tsv)
PRINCIPAL_ID=$({az} identity show -n {IDENTITY} -g {RG} --query principalId -o tsv)
ACCOUNT_ID=$({az} cognitiveservices account show -n {ACCOUNT} -g {RG} --query id -o tsv)
{az} role assignment create --role "Cognitive Services OpenAI User" --assignee-object-id "$PRINCIPAL_ID" \
  --assignee-principal-type ServicePrincipal --scope "$ACCOUNT_ID" -o none
{az} identity federated-credential create --name {FIC} --identity-name {IDENTITY} -g {RG} --issuer "$ISSUER" \
  --subject system:serviceaccount:default:ai-service-account --audience api://AzureADTokenExchange -o none
{az} aks get-credentials -g {RG} -n {CLUSTER} --file "$KUBECONFIG" --overwrite-existing -o none
ENDPOINT=$({az} cognitiveservices account show -n {ACCOUNT} -g {RG} --query properties.endpoint -o tsv)
DEPLOYMENT=$({az} cognitiveservices account deployment list -n {ACCOUNT} -g {RG} --query "[0].name" -o tsv)
export CLIENT_ID ENDPOINT DEPLOYMENT
{kubectl} apply -f - <<EOF
{SERVICE_ACCOUNT}EOF
{kubectl} apply -f - <<EOF
{DEPLOYMENT}EOF
{kubectl} rollout status deployment/ai-service --timeout=300s
{kubectl} get pods --selector app=ai-service
{kubectl} logs --selector app=ai-service
{kubectl} get service store-admin
"""


def contenders(home: Path, scratch: Path) -> dict[str, Any]:
    """Each contender as (argv, environment), or the reason it is skipped."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KEYLESS_", "AZURE_"))}
    base["PYTHONPATH"] = str(ROOT / "lib")
    keyless_run = [sys.executable, "-m", "keyless", "run", "-p", "data_dir", str(home), "--out", str(scratch / "out")]
    found: dict[str, Any] = {
        "keyless run": (keyless_run, base),
        "keyless 00-05": ([*keyless_run, "--only", "00,01,02,03,04,05", "-p", "exercise", "False"], base),
    }
    from keyless_emulator import attach

    info = attach(home)
    (scratch / "sdk").mkdir(exist_ok=True)
    found["sdk script"] = ([sys.executable, str(ROOT / "benchmarks" / "sdk_script.py"), str(scratch / "sdk")],
                           {**base, **info.env()})
    cli = venv_dir()
    if not (cli / MARKER).exists():
        found["article script"] = f"the Azure CLI environment {cli} is not built (make test builds it)"
    elif not KUBECTL.exists():
        found["article script"] = f"kubectl is not installed at {KUBECTL}"
    else:
        setup = AzSetup(info)
        script = scratch / "article.sh"
        script.write_text(article_script(setup, shlex.quote(str(cli / "bin" / "python")) + " -m azure.cli"))
        env = {**offline_environment(setup, {k: v for k, v in base.items() if k != "PYTHONPATH"}),
               "HOME": str(scratch / "home"), "AZURE_CLIENT_SECRET": info.client_secret}
        found["article script"] = (["bash", str(script)], env)
    return found


def time_whole(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="keyless-bench-") as tmp:
        scratch, home = Path(tmp), Path(tmp) / "data"
        (scratch / "home").mkdir()
        info = start_background(EmulatorConfig(home=home))
        try:
            control = ControlClient.of(info, timeout=60)
            runs = contenders(home, scratch)
            skipped = {name: why for name, why in runs.items() if isinstance(why, str)}
            for name, why in skipped.items():
                print(f"skipped {name}: {why}")
            timed = {name: [] for name in runs if name not in skipped}
            for round_ in range(rounds + 1):            # round 0 warms caches (imports, kubelet) and is not kept
                for name in timed:                      # alternating, so load drifts hit every contender alike
                    control.reset("before-you-begin")
                    argv, env = runs[name]
                    started = time.perf_counter()
                    done = subprocess.run(argv, env=env, cwd=scratch, capture_output=True, text=True, timeout=1800)
                    seconds = time.perf_counter() - started
                    if done.returncode != 0:
                        secret = info.client_secret
                        raise SystemExit(f"{name} failed ({done.returncode}):\n"
                                         + (done.stdout[-3000:] + done.stderr[-3000:]).replace(secret, "***"))
                    if round_:
                        timed[name].append(round(seconds, 3))
        finally:
            stop(home)
    summary = {name: {"runs": t, "min": min(t), "median": statistics.median(t)} for name, t in timed.items()}
    ratios = {}
    for over, under in (("keyless 00-05", "article script"), ("keyless run", "sdk script")):
        if over in summary and under in summary:
            ratios[f"{over} / {under}"] = {k: round(summary[over][k] / summary[under][k], 2) for k in ("min", "median")}
    return {"rounds": rounds, "seconds": summary, "ratios": ratios, "skipped": skipped}


# ---- where one run's time goes ---------------------------------------------------------------------

def _stamp(text: str | None) -> float:
    from datetime import UTC, datetime

    if not text:
        return 0.0
    stamp = datetime.fromisoformat(text)  # papermill writes UTC
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def _cell_kind(source: str) -> str:
    import re

    if "keyless.init(" in source:
        return "keyless.init (connect, state file)"
    steps = re.findall(r"\brb\.(\w+)\(", source)
    if steps:
        return "step " + steps[0] + ("(expect_failure)" if "expect_failure" in source else "")
    return "other cells (parameters)"


def breakdown(started: float, ended: float, lines: list[tuple[float, str]], out: Path) -> dict[str, float]:
    """One run's components in seconds (see --profile); the parts add up to the whole."""
    parts: Counter[str] = Counter()
    first = next(t for t, line in lines if line.startswith("running "))
    parts["process start: imports, emulator reset (runner)"] += first - started
    cursor, first_cell = first, True
    for book in sorted(out.glob("[0-9][0-9]-*.ipynb")):
        nb = json.loads(book.read_text())
        for cell in nb["cells"]:
            meta = (cell.get("metadata") or {}).get("papermill") or {}
            if cell["cell_type"] != "code" or not meta.get("start_time"):
                continue
            begin, end = _stamp(meta["start_time"]), _stamp(meta["end_time"])
            gap = "kernel start (before the first cell)" if first_cell else "between cells and notebooks (runner)"
            parts[gap] += max(0.0, begin - cursor)
            parts[_cell_kind("".join(cell["source"]))] += end - begin
            cursor, first_cell = end, False
    parts["tail: kernel shutdown, HTML, report.json"] += ended - cursor
    return dict(parts)


def profile_main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="keyless-profile-") as tmp:
        scratch, home = Path(tmp), Path(tmp) / "data"
        info = start_background(EmulatorConfig(home=home))
        rows: list[dict[str, float]] = []
        try:
            control = ControlClient.of(info, timeout=60)
            argv, env = contenders(home, scratch)["keyless run"]
            env = {**env, "PYTHONUNBUFFERED": "1"}  # each log line as it is written: its time is when it happened
            if args.only:
                argv = [*argv, "--only", args.only]
            for round_ in range(args.rounds + 1):  # round 0 warms caches and is not kept
                control.reset("before-you-begin")
                lines: list[tuple[float, str]] = []
                started = time.time()
                proc = subprocess.Popen(argv, env=env, cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)
                assert proc.stdout is not None
                for line in proc.stdout:
                    lines.append((time.time(), line.rstrip()))
                ended = time.time()
                if proc.wait() != 0:
                    raise SystemExit("the run failed:\n" + "\n".join(line for _, line in lines[-40:]))
                if round_:
                    row = breakdown(started, ended, lines, scratch / "out")
                    row["whole process"] = ended - started
                    rows.append(row)
        finally:
            stop(home)
    names = list(dict.fromkeys(name for row in rows for name in row))
    table = {name: statistics.median(row.get(name, 0.0) for row in rows) for name in names}
    print(f"{'component':<52} {'median s':>9} {'min s':>7}")
    for name in sorted(names, key=lambda n: (n == "whole process", -table[n])):
        print(f"{name:<52} {table[name]:>9.2f} {min(row.get(name, 0.0) for row in rows):>7.2f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rounds": args.rounds, "only": args.only, "median_seconds": table,
                                         "runs": rows}, indent=2))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", action="store_true", help="time the steps one by one at two latency profiles")
    parser.add_argument("--factor", type=float, default=0.05, help="--steps: realistic profile time factor")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per contender (after a warm-up round)")
    parser.add_argument("--profile", action="store_true", help="where one run's wall time goes, by component")
    parser.add_argument("--only", default="", help="--profile: the notebooks to run (as `keyless run --only`)")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON")
    args = parser.parse_args()
    if args.steps:
        return steps_main(args)
    if args.profile:
        return profile_main(args)
    result = time_whole(args.rounds)
    print(f"{'contender':<16} {'min s':>8} {'median s':>9}  runs")
    for name, row in result["seconds"].items():
        print(f"{name:<16} {row['min']:>8.2f} {row['median']:>9.2f}  {row['runs']}")
    for name, ratio in result["ratios"].items():
        print(f"{name:<34} min {ratio['min']:.2f}x  median {ratio['median']:.2f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
