"""The node agent of every emulated cluster: one event loop thread running every pod and forwarder.

Clusters are attached with `attach(api)` (a `ClusterAPI`); the kubelet then follows their pods
and Services. Store listeners run on API server threads, so they only hand work to the loop.
With `run_processes=False` (EmulatorConfig.kubelet off) pods still go Running and Ready as idle
containers. `shutdown()` stops every process (SIGTERM, then SIGKILL) and every forwarder.
"""
from __future__ import annotations

import asyncio
import copy
import logging
import threading
from typing import Any, Callable

from .api import ClusterAPI
from .logs import LogStore
from .network import Network
from .pods import KubeletSettings, PodWorker
from .status import NODE_NAME

log = logging.getLogger("keyless.emulator.kubelet")
POD_CIDR_PREFIX = "10.244.0."


class Kubelet:
    def __init__(self, backend: Any, settings: KubeletSettings):
        self.backend = backend
        self.settings = settings
        self.logs = LogStore()
        self.network = Network(self)
        self._apis: dict[str, ClusterAPI] = {}
        self._unwatch: dict[str, list[Callable[[], None]]] = {}
        self._workers: dict[tuple[str, str], PodWorker] = {}
        self._next_ip: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    # -- the loop ----------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            self._started.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="keyless-kubelet", daemon=True)
        self._thread.start()
        self._started.wait(5)

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._loop is None:
            self.start()
        assert self._loop is not None
        self._loop.call_soon_threadsafe(fn, *args)

    def run_sync(self, coro, timeout: float = 30) -> Any:
        """Run a coroutine on the kubelet's loop from another thread and wait for its result."""
        if self._loop is None:
            self.start()
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # -- clusters ----------------------------------------------------------------------
    def attach(self, api: ClusterAPI) -> None:
        """Follow one cluster's pods and Services (idempotent)."""
        if api.key in self._apis:
            return
        self.start()
        self._apis[api.key] = api
        self._unwatch[api.key] = [
            api.watch("pods", lambda type_, obj: self._call(self._on_pod, api, type_, copy.deepcopy(obj))),
            api.watch("services", lambda type_, obj: self._call(self._on_service, api, type_, copy.deepcopy(obj))),
        ]
        for svc in api.list("services"):
            self._call(self._on_service, api, "ADDED", svc)
        for pod in api.list("pods"):
            self._call(self._on_pod, api, "ADDED", pod)

    def detach(self, cluster: str) -> None:
        """Forget a cluster (deleted or reset): stop its pods and forwarders."""
        for stop in self._unwatch.pop(cluster, []):
            stop()
        self._apis.pop(cluster, None)
        self._next_ip.pop(cluster, None)
        workers = [w for k, w in list(self._workers.items()) if k[0] == cluster]
        for w in workers:
            self._workers.pop((cluster, w.uid), None)

        async def stop_all() -> None:
            await asyncio.gather(*(w.stop() for w in workers), return_exceptions=True)
            await self.network.close_cluster(cluster)

        if self._loop is not None:  # never wait here: the caller may hold the state lock the loop needs
            asyncio.run_coroutine_threadsafe(stop_all(), self._loop)

    def api_of(self, cluster: str) -> ClusterAPI | None:
        return self._apis.get(cluster)

    def clusters(self) -> list[str]:
        return list(self._apis)

    def workers_of(self, cluster: str) -> list[PodWorker]:
        return [w for (c, _), w in list(self._workers.items()) if c == cluster]

    def worker(self, cluster: str, namespace: str, name: str) -> PodWorker | None:
        for w in self.workers_of(cluster):
            if w.namespace == namespace and w.name == name:
                return w
        return None

    def api_audience(self, api: ClusterAPI) -> str:
        """The API server's own audience (kube-api-access tokens)."""
        return f"{self.backend.base_url}/k8s/{api.key}"

    def _allocate_ip(self, cluster: str) -> str:
        n = self._next_ip.get(cluster, 5)
        self._next_ip[cluster] = n + 1 if n < 254 else 5
        return f"{POD_CIDR_PREFIX}{n}"

    # -- events from the store (on the loop) -----------------------------------------
    def _on_pod(self, api: ClusterAPI, type_: str, pod: dict[str, Any]) -> None:
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        key = (api.key, meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}")
        worker = self._workers.get(key)
        if type_ == "DELETED" or meta.get("deletionTimestamp"):
            if worker is not None:
                self._workers.pop(key, None)
                asyncio.get_running_loop().create_task(self._stop(api, worker, pod, type_ == "DELETED"))
            return
        if worker is not None:
            worker.pod["metadata"] = meta  # labels/annotations may change; the spec of a pod does not
            return
        if spec.get("nodeName") != NODE_NAME and spec.get("nodeName"):
            return  # bound to a node this kubelet is not
        if not spec.get("nodeName"):
            return  # the scheduler binds it first; we are told again once it is bound
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return
        worker = PodWorker(self, api, pod, self._allocate_ip(api.key))
        self._workers[key] = worker
        asyncio.get_running_loop().create_task(self._run(worker))

    async def _run(self, worker: PodWorker) -> None:
        try:
            await worker.run()
        except Exception:  # noqa: BLE001 — a bug in one pod must not stop the node
            log.exception("kubelet: pod %s/%s failed to start", worker.namespace, worker.name)

    async def _stop(self, api: ClusterAPI, worker: PodWorker, pod: dict[str, Any], gone: bool) -> None:
        try:
            await worker.stop()
        finally:
            self.network.changed(api)
            if not gone:
                finalize = getattr(api, "finalize_pod", None)
                if finalize is not None:
                    finalize(worker.namespace, worker.name)

    def _on_service(self, api: ClusterAPI, type_: str, svc: dict[str, Any]) -> None:
        asyncio.get_running_loop().create_task(self._sync_service(api, type_, svc))

    async def _sync_service(self, api: ClusterAPI, type_: str, svc: dict[str, Any]) -> None:
        try:
            await self.network.sync_service(api, type_, svc)
        except Exception:  # noqa: BLE001
            log.exception("kubelet: service %s failed to sync", (svc.get("metadata") or {}).get("name"))

    # -- shutdown ----------------------------------------------------------------------
    def shutdown(self) -> None:
        if self._loop is None:
            return
        for cluster in list(self._apis):
            for stop in self._unwatch.pop(cluster, []):
                stop()
        workers = list(self._workers.values())
        self._workers.clear()

        async def stop_all() -> None:
            await asyncio.gather(*(w.stop() for w in workers), return_exceptions=True)
            await self.network.close()

        try:
            self.run_sync(stop_all(), timeout=30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(5)
            self._loop = None
            self._thread = None
            self._apis.clear()
