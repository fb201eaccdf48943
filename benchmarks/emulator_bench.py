"""Benchmark of the keyless emulator, side by side with a baseline on the same machine.

What it measures, for the emulator and for the baseline:

- startup: process start -> first healthy HTTPS answer (the emulator from a fresh data folder,
  so it also makes its CA, server certificate and signing keys), with its ratio to the baseline's:
  this row, not a timed test assertion, is where start-up time is watched;
- Resource Manager GET: `ResourceManagementClient.resource_groups.get` (azure-mgmt-resource,
  the same client, the same bearer token) — median and p95 over N calls;
- token request: a raw client-credentials POST to `/{tenant}/oauth2/v2.0/token` — median and p95;
  and, for the emulator only, a fresh `ClientSecretCredential` per call (MSAL's discovery GET +
  the POST), which is what a new notebook kernel pays;
- resident memory (psutil) of the serving process once the scenario is loaded;
- the store running: a second emulator with its kubelet on, from process start until the three
  store apps (ai-service, product-service, store-admin) of the "Before you begin" cluster listen,
  and the memory of the whole process tree then (RSS, PSS and USS summed over the emulator and
  every process it started; see process_tree.py for which to read).

The baseline is the smallest honest HTTPS server for the same requests: the same stack
(uvicorn + starlette, same TLS certificate) answering the same bytes the emulator answered,
with no state, authentication, authorization or logging. Ratios are emulator / baseline, so
they say what the emulator's work costs and stay comparable across machines. The store's baseline
is how its apps ran before the pod runtime host: the emulator without a kubelet plus each app as
its own `python -m keyless_emulator.storeapps.<app>` process.

Run (from the repository root, in the project venv; about 10-30 s with the defaults):

    .venv/bin/python benchmarks/emulator_bench.py                    # 200 iterations, prints a table
    .venv/bin/python benchmarks/emulator_bench.py -n 500 --out bench.json

Nothing leaves the machine: both servers listen on 127.0.0.1 only, and MSAL's instance
discovery is disabled. Both processes are stopped at the end, whatever happens.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import requests
from process_tree import listening, listens, tree_memory

ARM_SCOPE = "https://management.azure.com/.default"
GROUP = "myResourceGroup"
WARMUP = 5


# -- the baseline server (run as a child process of this script) --------------------------

def serve_baseline(spec_file: str) -> None:
    """Serve the recorded answers over HTTPS; write the port to spec['port_file'] once bound."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    spec = json.loads(Path(spec_file).read_text())
    group_body, token_body = spec["group_body"].encode(), spec["token_body"].encode()

    async def health(request):
        return JSONResponse({"status": "ok"})

    async def group(request):  # Resource Manager paths are case-insensitive; SDKs vary the case
        if request.url.path.lower() != spec["group_path"].lower():
            return JSONResponse({"error": {"code": "NotFound"}}, status_code=404)
        return Response(group_body, media_type="application/json")

    async def token(request):
        await request.body()
        return Response(token_body, media_type="application/json")

    app = Starlette(routes=[Route("/health", health), Route(spec["token_path"], token, methods=["POST"]),
                            Route("/{path:path}", group)])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # so asyncio sets TCP_NODELAY
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    Path(spec["port_file"]).write_text(str(sock.getsockname()[1]))
    config = uvicorn.Config(app, ssl_certfile=spec["cert"], ssl_keyfile=spec["key"], log_level="warning",
                            access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    server.run(sockets=[sock])


# -- measuring ------------------------------------------------------------------------------

@dataclass
class Server:
    process: subprocess.Popen
    url: str
    startup_s: float

    def rss_mib(self) -> float:
        return psutil.Process(self.process.pid).memory_info().rss / (1024 * 1024)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_until(check: Callable[[], Any], process: subprocess.Popen, started: float, what: str,
                timeout: float = 30) -> Any:
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        answer = check()
        if answer:
            return answer
        time.sleep(0.002)
    raise RuntimeError(f"{what} did not become healthy within {timeout:.0f}s")


def start_emulator(home: Path, log, kubelet: bool = False) -> tuple[Server, Any]:
    from keyless_emulator import runtime

    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "keyless_emulator", "--home", str(home), "serve", "--port", "0",
                                *([] if kubelet else ["--no-kubelet"])], stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)

    def healthy() -> Any:
        try:
            info = runtime.read(home)
        except runtime.EmulatorNotRunning:
            return None
        return info if runtime.health(info.url, info.ca_cert, timeout=1.0) else None

    try:
        info = _wait_until(healthy, process, started, "the emulator")
    except BaseException:
        process.kill()
        raise
    return Server(process, info.url, time.monotonic() - started), info


def start_baseline(spec: dict[str, Any], workdir: Path, ca: str, log) -> Server:
    spec_file = workdir / "baseline.json"
    spec_file.write_text(json.dumps(spec))
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, __file__, "--serve-baseline", str(spec_file)], stdout=log,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    port_file = Path(spec["port_file"])

    def healthy() -> str | None:
        if not port_file.exists() or not port_file.read_text().strip():
            return None
        url = f"https://127.0.0.1:{port_file.read_text().strip()}"
        try:
            return url if requests.get(url + "/health", verify=ca, timeout=1).status_code == 200 else None
        except requests.RequestException:
            return None

    try:
        url = _wait_until(healthy, process, started, "the baseline server")
    except BaseException:
        process.kill()
        raise
    return Server(process, url, time.monotonic() - started)


def timed(fn: Callable[[], Any], iterations: int) -> list[float]:
    for _ in range(WARMUP):
        fn()
    samples = []
    for _ in range(iterations):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"median_ms": round(statistics.median(ordered), 3), "p95_ms": round(p95, 3), "n": len(ordered)}


class StaticToken:
    """One bearer token for every request, so the GET timings hold no token acquisition."""

    def __init__(self, token: str, expires_on: int):
        from azure.core.credentials import AccessToken

        self._token = AccessToken(token, expires_on)

    def get_token(self, *scopes: str, **kwargs: Any):
        return self._token


def group_client(url: str, token: StaticToken, subscription: str, ca: str):
    from azure.mgmt.resource.resources import ResourceManagementClient

    return ResourceManagementClient(token, subscription, base_url=url, connection_verify=ca, retry_total=0)


def token_poster(url: str, tenant: str, form: dict[str, str], ca: str) -> Callable[[], None]:
    session = requests.Session()  # verify per request: REQUESTS_CA_BUNDLE would override session.verify

    def post() -> None:
        r = session.post(f"{url}/{tenant}/oauth2/v2.0/token", data=form, verify=ca)
        r.raise_for_status()

    return post

STORE_APPS = ("ai_service", "product_service", "store_admin")


def _until_listening(serving: Callable[[], int], count: int, process: subprocess.Popen, started: float, what: str,
                     timeout: float = 120) -> float:
    """Seconds from `started` until `serving()` counts `count` listening apps (raises after `timeout`)."""
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        if serving() >= count:
            return time.monotonic() - started
        time.sleep(0.05)
    raise RuntimeError(f"{what}: {count} store apps did not listen within {timeout:.0f}s")


def store_with_emulator(workdir: Path, log) -> dict[str, Any]:
    """The emulator with its kubelet on: start -> the three store apps listen; then the tree's memory."""
    emulator, _ = start_emulator(workdir / "store-home", log, kubelet=True)
    try:
        started = time.monotonic() - emulator.startup_s
        seconds = _until_listening(lambda: listening(emulator.process.pid), len(STORE_APPS), emulator.process, started,
                                   "the emulator")
        time.sleep(2)  # readiness probes answered, the first requests served: the store as a user finds it
        return {"seconds": round(seconds, 3), **tree_memory(emulator.process.pid)}
    finally:
        emulator.stop()


def store_one_process_each(workdir: Path, log) -> dict[str, Any]:
    """The baseline: the emulator without a kubelet and each store app as its own process, started together."""
    import keyless_emulator

    emulator, _ = start_emulator(workdir / "baseline-home", log)
    started = time.monotonic() - emulator.startup_s
    env = {"PYTHONUNBUFFERED": "1", "LANG": "C.UTF-8", "PATH": "",
           "PYTHONPATH": str(Path(keyless_emulator.__file__).resolve().parents[1])}
    apps = []
    try:
        with socket.socket() as a, socket.socket() as b, socket.socket() as c:
            ports = []
            for sock in (a, b, c):
                sock.bind(("127.0.0.1", 0))
                ports.append(sock.getsockname()[1])
        for app, port in zip(STORE_APPS, ports, strict=True):
            apps.append(psutil.Popen([sys.executable, "-m", f"keyless_emulator.storeapps.{app}", "--port", str(port)],
                                     env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL))
        seconds = max(emulator.startup_s, _until_listening(lambda: sum(listens(app) for app in apps), len(apps),
                                                           emulator.process, started, "the baseline store"))
        time.sleep(2)
        memory = [tree_memory(emulator.process.pid), *(tree_memory(app.pid) for app in apps)]
        total = {key: round(sum(m[key] or 0 for m in memory), 1) for key in ("rss_mib", "pss_mib", "uss_mib")}
        return {"seconds": round(seconds, 3), **total, "processes": sum(m["processes"] for m in memory)}
    finally:
        for app in apps:
            app.terminate()
        for app in apps:
            try:
                app.wait(10)
            except psutil.TimeoutExpired:
                app.kill()
        emulator.stop()


# -- the run ----------------------------------------------------------------------------------

def run(iterations: int) -> dict[str, Any]:
    from azure.identity import ClientSecretCredential

    with tempfile.TemporaryDirectory(prefix="keyless-bench-") as tmp:
        workdir = Path(tmp)
        home = workdir / "home"
        log = open(workdir / "servers.log", "ab")
        emulator = baseline = None
        try:
            emulator, info = start_emulator(home, log)
            emulator_rss = emulator.rss_mib()
            ca = info.ca_cert
            form = {"grant_type": "client_credentials", "client_id": info.client_id,
                    "client_secret": info.client_secret, "scope": ARM_SCOPE}

            def fresh_credential() -> None:
                ClientSecretCredential(info.tenant_id, info.client_id, info.client_secret, authority=info.url,
                                       disable_instance_discovery=True, connection_verify=ca).get_token(ARM_SCOPE)

            token_response = requests.post(f"{info.url}/{info.tenant_id}/oauth2/v2.0/token", data=form, verify=ca)
            token_response.raise_for_status()
            access = token_response.json()
            token = StaticToken(access["access_token"], int(time.time()) + int(access["expires_in"]))
            group_path = f"/subscriptions/{info.subscription_id}/resourceGroups/{GROUP}"
            group_body = requests.get(info.url + group_path, params={"api-version": "2021-04-01"}, verify=ca,
                                      headers={"Authorization": "Bearer " + access["access_token"]}).text

            emu_client = group_client(info.url, token, info.subscription_id, ca)
            results: dict[str, dict[str, Any]] = {
                "arm_get": {"emulator": summary(timed(lambda: emu_client.resource_groups.get(GROUP), iterations))},
                "token_post": {"emulator": summary(timed(token_poster(info.url, info.tenant_id, form, ca),
                                                         iterations))},
                "token_fresh_credential": {"emulator": summary(timed(fresh_credential, max(10, iterations // 4)))},
            }

            tls_dir = home / "tls"
            spec = {"group_path": group_path, "group_body": group_body,
                    "token_path": f"/{info.tenant_id}/oauth2/v2.0/token",
                    "token_body": token_response.text, "cert": str(tls_dir / "server.pem"),
                    "key": str(tls_dir / "server-key.pem"), "port_file": str(workdir / "baseline.port")}
            baseline = start_baseline(spec, workdir, ca, log)
            baseline_rss = baseline.rss_mib()
            base_client = group_client(baseline.url, token, info.subscription_id, ca)
            results["arm_get"]["baseline"] = summary(timed(lambda: base_client.resource_groups.get(GROUP), iterations))
            results["token_post"]["baseline"] = summary(timed(token_poster(baseline.url, info.tenant_id, form, ca),
                                                              iterations))
            results["startup"] = {"emulator": {"seconds": round(emulator.startup_s, 3)},
                                  "baseline": {"seconds": round(baseline.startup_s, 3)}}
            results["rss"] = {"emulator": {"mib": round(emulator_rss, 1)}, "baseline": {"mib": round(baseline_rss, 1)}}
            results["store"] = {"emulator": store_with_emulator(workdir, log),
                                "baseline": store_one_process_each(workdir, log)}
        finally:
            for server in (baseline, emulator):
                if server is not None:
                    server.stop()
            log.close()
    return {
        "iterations": iterations,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count()},
        "baseline": "uvicorn + starlette on the same TLS certificate, answering the emulator's recorded bytes",
        "results": _with_ratios(results),
    }


def _with_ratios(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    for entry in results.values():
        if "baseline" not in entry:
            continue
        ratios = {}
        for key, value in entry["emulator"].items():
            base = entry["baseline"].get(key)
            if key not in ("n", "processes") and isinstance(base, (int, float)) and base:
                ratios[key] = round(value / base, 2)
        entry["ratio"] = ratios
    return results


ROWS = [("startup", "seconds", "startup (process start -> healthy)", "s"),
        ("arm_get", "median_ms", "ARM GET resource group, median", "ms"),
        ("arm_get", "p95_ms", "ARM GET resource group, p95", "ms"),
        ("token_post", "median_ms", "token POST (client secret), median", "ms"),
        ("token_post", "p95_ms", "token POST (client secret), p95", "ms"),
        ("token_fresh_credential", "median_ms", "fresh ClientSecretCredential, median", "ms"),
        ("token_fresh_credential", "p95_ms", "fresh ClientSecretCredential, p95", "ms"),
        ("rss", "mib", "resident memory after scenario load", "MiB"),
        ("store", "seconds", "store running: start -> 3 apps listen", "s"),
        ("store", "pss_mib", "store running: PSS, whole process tree", "MiB"),
        ("store", "uss_mib", "store running: USS, whole process tree", "MiB"),
        ("store", "rss_mib", "store running: RSS, whole process tree", "MiB")]


def table(report: dict[str, Any]) -> str:
    lines = [f"{'metric':<40} {'emulator':>12} {'baseline':>12} {'ratio':>8}", "-" * 75]
    for section, key, label, unit in ROWS:
        entry = report["results"][section]
        emu = entry["emulator"][key]
        base = entry.get("baseline", {}).get(key)
        ratio = entry.get("ratio", {}).get(key)
        lines.append(f"{label:<40} {f'{emu:g} {unit}':>12} {(f'{base:g} {unit}' if base is not None else '-'):>12} "
                     f"{(f'{ratio:g}x' if ratio is not None else '-'):>8}")
    lines.append(f"({report['iterations']} iterations per latency row; ratio = emulator / baseline)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--iterations", type=int, default=200, help="calls per latency row (default 200)")
    parser.add_argument("--out", help="also write the report as JSON to this file")
    parser.add_argument("--serve-baseline", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return 0
    if args.iterations < 1:
        parser.error("--iterations must be at least 1")
    report = run(args.iterations)
    print(table(report))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
        print(f"report written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
