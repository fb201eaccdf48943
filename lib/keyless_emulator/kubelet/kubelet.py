"""The node agent of every emulated cluster: one event loop thread running every pod and forwarder.

Clusters are attached with `attach(api)` (a `ClusterAPI`); the kubelet then follows their pods
and Services. Store listeners run on API server threads, so they only hand work to the loop.
With `run_processes=False` (EmulatorConfig.kubelet off) pods still go Running and Ready as idle
containers. Store app containers are forked by one pod runtime host process per node (see
`processes.PodHost`, started with the first of them). `shutdown()` stops every process (SIGTERM,
then SIGKILL), the host and every forwarder.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

from ..kubernetes.plain import clone
from .api import ClusterAPI
from .idle import IDLE_CHECK, PortActivity
from .logs import ContainerLogs
from .network import Network
from .pods import PACKAGE_ROOT, KubeletSettings, PodWorker
from .processes import PodHost

log = logging.getLogger("keyless_emulator.kubelet")
POD_CIDR_PREFIX = "10.244.0."
JANITOR_PERIOD = 2.0


class Kubelet:
    def __init__(self, backend: Any, settings: KubeletSettings):
        self.backend = backend
        self.settings = settings
        self.logs = ContainerLogs()
        self.network = Network(self)
        self._apis: dict[str, ClusterAPI] = {}
        self._unwatch: dict[str, list[Callable[[], None]]] = {}
        self._workers: dict[tuple[str, str], PodWorker] = {}
        self._next_ip: dict[str, int] = {}
        self._pending_stops: dict[Any, asyncio.Task] = {}
        self.processes: set[Any] = set()  # every container process started and not yet seen to end
        self._activity = PortActivity()
        self.host = PodHost(settings.python, host_environment(), settings.pods_dir)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._lock = threading.RLock()  # attach/detach come from API threads and from the loop

    # -- the loop ----------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            self._started.set()
            loop.call_later(JANITOR_PERIOD, self._janitor)
            if self.settings.run_processes:
                loop.call_later(IDLE_CHECK, self._idle_sweep)
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="keyless-kubelet", daemon=True)
        self._thread.start()
        self._started.wait(5)

    def _janitor(self) -> None:
        """Forget clusters whose store was dropped (a deleted managed cluster): their forwarders go too."""
        for cluster, api in list(self._apis.items()):
            if getattr(api, "closed", False):
                self.detach(cluster, api)
        if self._loop is not None:
            self._loop.call_later(JANITOR_PERIOD, self._janitor)

    def _idle_sweep(self) -> None:
        """Stop the store apps whose port went unused for `idle_stop` seconds (kubelet/idle.py)."""
        runs = [(w, r) for w in list(self._workers.values()) for r in w.runs.values()
                if r.local_port is not None and r.process is not None and r.process.running]
        if self.settings.idle_stop > 0 and runs:
            busy = self._activity.busy({r.local_port for _, r in runs if r.local_port is not None})
            if busy is None:
                return  # no TCP table to read: nothing is ever stopped for idleness, and no more sweeps
            now = asyncio.get_running_loop().time()
            for worker, run in runs:
                worker.stop_if_idle(run, busy, now)
        if self._loop is not None:
            self._loop.call_later(IDLE_CHECK, self._idle_sweep)

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
        """Follow one cluster's pods and Services; a new store for a known cluster replaces the old one."""
        with self._lock:
            old = self._apis.get(api.key)
            if old is not None:
                if getattr(old, "store", old) is getattr(api, "store", api):
                    return
                self.detach(api.key, old)
            self.start()
            self._apis[api.key] = api
            self._unwatch[api.key] = [
                api.watch("pods", lambda type_, obj: self._call(self._on_pod, api, type_, clone(obj))),
                api.watch("services", lambda type_, obj: self._call(self._on_service, api, type_,
                                                                   clone(obj))),
            ]
            for svc in api.list("services"):
                self._call(self._on_service, api, "ADDED", svc)
            for pod in api.list("pods"):
                self._call(self._on_pod, api, "ADDED", pod)

    def detach(self, cluster: str, api: ClusterAPI | None = None) -> None:
        """Forget a cluster (deleted, or its store replaced): stop its pods and forwarders. With `api`,
        only if that is still the cluster's current one (a replaced store is not detached twice).

        Never waits: the caller may hold the state lock the loop needs. The work is queued on the
        loop ahead of anything a later attach queues, and a pod that comes back under the same name
        waits for the old one's folder to be cleaned (see `_run`).
        """
        with self._lock:
            if api is not None and self._apis.get(cluster) is not api:
                return
            for stop in self._unwatch.pop(cluster, []):
                stop()
            self._apis.pop(cluster, None)
            self._next_ip.pop(cluster, None)
            workers = [w for k, w in list(self._workers.items()) if k[0] == cluster]
            for w in workers:
                self._workers.pop((cluster, w.uid), None)
            if self._loop is not None:
                self._call(self._detach_on_loop, cluster, workers)

    def _detach_on_loop(self, cluster: str, workers: list[PodWorker]) -> None:
        for w in workers:
            self._stop_task(w)
        asyncio.get_running_loop().create_task(self.network.close_cluster(cluster))

    def _stop_task(self, worker: PodWorker, after=None) -> asyncio.Task:
        async def stop() -> None:
            try:
                await worker.stop()
            finally:
                if self._pending_stops.get(worker.root) is task:
                    del self._pending_stops[worker.root]
                if after is not None:
                    after()

        task = asyncio.get_running_loop().create_task(stop())
        self._pending_stops[worker.root] = task
        return task

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
        if self._apis.get(api.key) is not api:
            return  # an event of a store that has been replaced
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        key = (api.key, meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}")
        worker = self._workers.get(key)
        if type_ == "DELETED" or meta.get("deletionTimestamp"):
            if worker is not None:
                self._workers.pop(key, None)
                finalize = getattr(api, "finalize_pod", None) if type_ != "DELETED" else None
                self._stop_task(worker, after=(lambda: finalize(worker.namespace, worker.name)) if finalize else None)
            return
        if worker is not None:
            worker.pod["metadata"] = meta  # labels/annotations may change; the spec of a pod does not
            return
        if not spec.get("nodeName"):
            return  # the scheduler binds it first (each cluster has one node); we hear again once it is bound
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return
        worker = PodWorker(self, api, pod, self._allocate_ip(api.key))
        self._workers[key] = worker
        asyncio.get_running_loop().create_task(self._run(worker))

    async def _run(self, worker: PodWorker) -> None:
        pending = self._pending_stops.get(worker.root)
        if pending is not None:  # the same pod name, gone a moment ago: let its folder be cleaned first
            await asyncio.wait([pending])
        try:
            await worker.run()
        except Exception:  # a bug in one pod must not stop the node
            log.exception("kubelet: pod %s/%s failed to start", worker.namespace, worker.name)

    def _on_service(self, api: ClusterAPI, type_: str, svc: dict[str, Any]) -> None:
        asyncio.get_running_loop().create_task(self._sync_service(api, type_, svc))

    async def _sync_service(self, api: ClusterAPI, type_: str, svc: dict[str, Any]) -> None:
        try:
            await self.network.sync_service(api, type_, svc)
        except Exception:
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
            await asyncio.gather(*(w.stop() for w in workers), *list(self._pending_stops.values()),
                                 return_exceptions=True)
            await self.network.close()
            for process in list(self.processes):  # anything still alive (a start racing the stop)
                await process.stop(0)
            self.processes.clear()
            await self.host.close()
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        try:
            self.run_sync(stop_all(), timeout=30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(5)
            self._loop = None
            self._thread = None
            self._apis.clear()

    # -- what the API server asks ------------------------------------------------------
    def service_address(self, cluster: str, namespace: str, service: str, port: str) -> str | None:
        """`host:port` of a ready pod behind the Service port (number or name); None when none is ready."""
        return self.network.pick(cluster, namespace, service, _port(port))

    def pod_address(self, cluster: str, namespace: str, pod: str, port: str) -> str | None:
        worker = self.worker(cluster, namespace, pod)
        if worker is None:
            return None
        return worker.local_address(_port(port)) if port else worker.local_address(None)

    def log_file(self, cluster: str, namespace: str, pod: str, container: str, previous: bool):
        return self.logs.path((cluster, namespace, pod, container), previous)


def host_environment() -> dict[str, str]:
    """The pod runtime host's environment: what every container's environment starts from (see
    `PodWorker.environment`), plus the room its children rewrite with their own (`storeapps.host`)."""
    from ..storeapps.host import SPACE_BYTES, SPACE_ENV

    return {"PYTHONUNBUFFERED": "1", "LANG": "C.UTF-8", "PYTHONPATH": PACKAGE_ROOT, "PATH": "",
            SPACE_ENV: "-" * SPACE_BYTES}


def _port(port: str | int | None) -> int | str | None:
    if port is None or port == "":
        return None
    return int(port) if str(port).isdigit() else str(port)
