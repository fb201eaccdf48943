"""The torture suite's fault matrix: the article's steps, notebook 06 (key access off) and clean-up
under about 20 % injected faults of every kind a real cloud throws at once — Kubernetes 429, 500,
dropped connections (before the service, and after a create, a replace or a delete was applied),
Resource Manager 429, 500, 503 and dropped answers (before the service, and after a PUT, a DELETE,
the cluster update, listClusterUserCredential, 06's key regenerations and the disableLocalAuth
updates of 06 and clean-up were applied), token-endpoint 503 and dropped answers, and concurrent
federated-credential writes on the same identity — each run ending where it started.
Azure OpenAI's 429 and 503 (`DATA_PLANE`) only meet the verification (05): the benchmark adds them.

Bounded: KEYLESS_TORTURE_RUNS runs (default 2; 25-130 s each on 2 cores, by load). The issue's
measurement (50 runs of 00-05, with the verification and the data-plane faults, and the
interruptions) is `benchmarks/torture_bench.py`, which runs `one_run` below; figures in
docs/reliability.md. The other parts of the suite: test_interruptions.py (kill, resume, clean up)
and test_bad_input.py (the bad-input table); `make torture` runs the three, and every part adds its
figures to the summary printed at the end of the session."""
from __future__ import annotations

import os
import random
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import keyless
from keyless_emulator import ControlClient

from .test_full_run import MAIN, normalise

K8S = "^/k8s/"
ARM = "^/subscriptions/"
TOKEN = "/oauth2/v2.0/token$"
# The frequent kinds at a fifth of the requests they match (rates spread deterministically: the 5th,
# 10th, ... matching request, shifted by a phase per run; the first fault that fires wins), and the
# kinds that match a few requests per run (one write, the token endpoint) once per run, so that
# each kind is thrown in every run.
MSI = ".*/userAssignedIdentities/[^/]+$"
ROLE = ".*/roleAssignments/[^/]+$"
FIC = ".*/federatedIdentityCredentials/[^/]+$"
ACCOUNT = ".*/Microsoft.CognitiveServices/accounts/[^/]+"
MATRIX: list[dict[str, Any]] = [
    {"route": K8S + ".*/serviceaccounts$", "method": "POST", "drop": True, "applied": True, "count": 1},
    {"route": K8S + ".*/serviceaccounts/[^/]+$", "method": "DELETE", "drop": True, "applied": True, "count": 1},
    {"route": K8S + ".*/deployments/[^/]+$", "method": "PUT", "drop": True, "applied": True, "count": 1},
    {"route": K8S, "status": 429, "code": "TooManyRequests", "retry_after": 0.2, "rate": 0.2},
    {"route": K8S, "status": 500, "code": "InternalError", "rate": 0.2},
    {"route": K8S, "drop": True, "rate": 0.2},
    {"route": ARM + ".*/managedClusters/[^/]+$", "method": "PUT", "drop": True, "applied": True, "count": 1},
    {"route": ARM + ".*/listClusterUserCredential$", "method": "POST", "drop": True, "applied": True, "count": 1},
    {"route": ARM + FIC, "method": "PUT", "status": 409,
     "code": "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity", "count": 1},
    {"route": ARM, "status": 429, "code": "TooManyRequests", "retry_after": 0.2, "rate": 0.2},
    {"route": ARM, "status": 500, "code": "InternalServerError", "rate": 0.2},
    {"route": ARM, "status": 503, "code": "ServiceUnavailable", "retry_after": 0.2, "rate": 0.2},
    {"route": ARM, "method": "GET", "drop": True, "rate": 0.2},
    # every write the steps and clean-up send to Resource Manager once loses its answer after it was applied
    *({"route": ARM + r, "method": m, "drop": True, "applied": True, "count": 1}
      for m in ("PUT", "DELETE") for r in (MSI, ROLE, FIC)),
    # notebook 06 and its undo in clean-up: both key regenerations (POST actions) and both disableLocalAuth
    # updates (06's and clean-up's) lose their answer after they were applied
    {"route": ARM + ACCOUNT + "/regenerateKey$", "method": "POST", "drop": True, "applied": True, "count": 2},
    {"route": ARM + ACCOUNT + "$", "method": "PATCH", "drop": True, "applied": True, "count": 2},
    {"route": TOKEN, "status": 503, "code": "temporarily_unavailable", "retry_after": 0.2, "count": 1},
    {"route": TOKEN, "drop": True, "count": 1},
]
# Azure OpenAI's data plane, which only the verification (ai-service's call) reaches: its first call
# throttled, its second refused with 503 (the openai client in the pod retries both).
DATA_PLANE: list[dict[str, Any]] = [
    {"route": "^/aoai/", "status": 429, "code": "429", "retry_after": 0.2, "count": 1},
    {"route": "^/aoai/", "status": 503, "code": "ServiceUnavailable", "retry_after": 0.2, "count": 1},
]


# the article's steps, then notebook 06 (key access off), which clean-up undoes
STEPS = (*MAIN, "disable_key_access")


def kind(f: dict[str, Any]) -> str:
    what = ("drop" + ("/applied" if f.get("applied") else "")) if f.get("drop") else str(f["status"])
    return f"{f.get('method') or '*'} {f['route']} {what}"


def phased(matrix: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """The matrix with a random phase on every rate fault: each run meets faults at other requests."""
    return [{**f, "phase": round(rng.random(), 3)} if "rate" in f else f for f in matrix]


def differences(a: Any, b: Any, path: str = "", limit: int = 8) -> list[str]:
    """Where two snapshots differ (at most `limit` paths): what a failed restore is reported by."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b), key=str):
            out += differences(a.get(k), b.get(k), f"{path}/{k}", limit - len(out)) if limit > len(out) else []
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += differences(x, y, f"{path}[{i}]", limit - len(out)) if limit > len(out) else []
        return out
    return [] if a == b else [f"{path}: {str(a)[:120]} -> {str(b)[:120]}"]


def one_run(info: Any, control: ControlClient, data_dir: Path, matrix: list[dict[str, Any]],
            steps: tuple[str, ...] = STEPS) -> dict[str, Any]:
    """One run of `steps` and clean-up under `matrix` on the emulator reset to before-you-begin: whether
    every step passed and the snapshot came back to the start, what failed, and how often each kind fired."""
    control.quiet()
    start = control.snapshot()
    control.faults(*matrix)
    failed: list[str] = []
    started = time.monotonic()
    try:
        rb = keyless.init(keyless.Parameters(data_dir=str(data_dir), rollout_timeout=120, verify_timeout=60),
                          emulator=info)
        results = [getattr(rb, step)() for step in steps] + [rb.clean_up()]
        failed = [repr(r) for r in results if not r.ok]
    except Exception:  # noqa: BLE001 - a step that raised instead of explaining is itself a failure
        failed = [traceback.format_exc(limit=-6)]
    finally:
        fired = {kind(f): f["fired"] for f in control.get_faults()}
        sent = len(control.client_requests())
        control.faults()
    diff = differences(normalise(start), normalise(control.snapshot()))
    return {"held": not failed and not diff, "failed": failed, "not_restored": diff, "fired": fired, "sent": sent,
            "seconds": round(time.monotonic() - started, 1)}


@pytest.mark.slow
def test_the_steps_and_clean_up_hold_under_a_fifth_of_requests_failing(fresh, admin, tmp_path, figures):
    runs = int(os.environ.get("KEYLESS_TORTURE_RUNS", "2"))
    seed = int(os.environ.get("KEYLESS_TORTURE_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed)
    held, fired, sent = 0, Counter({kind(f): 0 for f in MATRIX}), 0
    started = time.monotonic()
    for i in range(runs):
        row = one_run(fresh.info, admin, tmp_path / f"data-{i}", phased(MATRIX, rng))
        fired.update(row["fired"])
        sent += row["sent"]
        assert row["failed"] == [], f"seed {seed}:\n" + "\n".join(row["failed"])
        assert row["not_restored"] == [], f"seed {seed}: " + "\n".join(row["not_restored"])
        held += 1
    total = sum(fired.values())
    figures.append(f"fault matrix (seed {seed}): {held} of {runs} runs held (steps, 06 and clean-up, snapshot "
                   "restored); "
                   f"{total} faults injected in {sent} requests ({100 * total / max(sent, 1):.0f} %), "
                   f"{time.monotonic() - started:.0f}s")
    figures.extend(f"  {n:>3} x {k}" for k, n in fired.most_common())
    assert [k for k, n in fired.items() if n == 0] == []                      # every kind was really thrown
