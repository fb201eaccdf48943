"""One pod on the node: its volumes, its containers (local processes or idle), its status and events.

A `PodWorker` lives on the kubelet's event loop from the moment a scheduled pod appears until it
is deleted. Each container of a known store image runs as
`python -m keyless_emulator.storeapps.<app> <container args> --port <local port>` with the pod's
resolved environment, forked by the node's pod runtime host (`processes.PodHost`); the container's
`command` is not run: nothing from a pod spec is ever executed on this machine. Any other image is
an "idle container" (Running and Ready, nothing runs). A process that exits is restarted with
back-off (CrashLoopBackOff), its previous log kept. An app unused for `idle_stop` seconds is stopped
and started again by its next connection, the pod unchanged (kubelet/idle.py). Readiness is an answer on
the local port (the readinessProbe's httpGet path, or any answer: kubelet/probes.py); liveness probes
are not run. Init containers complete at once.
"""
from __future__ import annotations

import asyncio
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..storeapps import app_for_image
from . import probes
from . import status as st
from .api import ClusterAPI
from .env import ContainerConfigError, resolve_env
from .processes import ContainerProcess
from .volumes import PodVolumes, VolumeError, remap

if TYPE_CHECKING:
    from .kubelet import Kubelet

IMAGE_SIZE = 58_213_117
# The folder holding the `keyless` package, so the apps import it even from a checkout that is not installed.
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding keyless_emulator


@dataclass
class KubeletSettings:
    pods_dir: Path
    run_processes: bool
    ca_bundle: str | None
    imds_url: str
    python: str = sys.executable
    backoff_base: float = 2.0  # the real kubelet starts at 10 s and caps at 300 s; kept short for demos
    backoff_max: float = 60.0
    grace_max: float = 5.0
    readiness_period: float = 0.2
    token_refresh_fraction: float = 0.8  # a projected token is replaced at 80 % of its lifetime, as the kubelet does
    env_retry: float = 2.0
    idle_stop: float = 0.0  # seconds unused after which a store app is stopped until its next connection (0: never)


def listener() -> socket.socket:
    """A container port's listening socket on 127.0.0.1 (any free port), bound by the kubelet so no other
    process can take the port between the app's runs; the app serves on it (pod_runtime.serve)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # uvicorn's backlog
    sock.setblocking(False)
    return sock


@dataclass
class ContainerRun:
    spec: dict[str, Any]
    state: st.ContainerState
    local_port: int | None = None
    process: ContainerProcess | None = None
    instance: int = 0
    listener: socket.socket | None = None  # the local port's listening socket, kept while the app is stopped idle
    active_at: float = 0.0  # loop time the port was last seen in use (kubelet/idle.py)
    idled: bool = False  # the running process is being stopped for idleness, not failing
    dormant: bool = False  # stopped for idleness: the next connection starts it again


@dataclass
class PodWorker:
    kubelet: Kubelet
    api: ClusterAPI
    pod: dict[str, Any]
    pod_ip: str
    runs: dict[str, ContainerRun] = field(default_factory=dict)
    init_states: list[st.ContainerState] = field(default_factory=list)
    tasks: list[asyncio.Task] = field(default_factory=list)
    since: dict[str, tuple[bool, str]] = field(default_factory=dict)
    stopping: bool = False

    def __post_init__(self) -> None:
        meta = self.pod["metadata"]
        self.namespace, self.name, self.uid = meta.get("namespace") or "default", meta["name"], meta.get("uid", "")
        self.node_name = (self.pod.get("spec") or {}).get("nodeName") or ""
        self.start_time = st.now_iso()
        self.settings = self.kubelet.settings
        self.root = self.settings.pods_dir / self.api.key / self.namespace / self.name
        self.volumes = PodVolumes(self.root, self.namespace, self.settings.token_refresh_fraction)
        self.stopped = asyncio.Event()
        spec = self.pod.get("spec") or {}
        for c in spec.get("containers") or []:
            self.runs[c["name"]] = ContainerRun(c, st.ContainerState(c["name"], c.get("image", "")))
        self.init_states = [st.ContainerState(c["name"], c.get("image", "")) for c in spec.get("initContainers") or []]

    # -- helpers -----------------------------------------------------------------------
    def log_key(self, container: str) -> tuple[str, str, str, str]:
        return (self.api.key, self.namespace, self.name, container)

    def log_folder(self, container: str) -> Path:
        return self.root / "logs" / container

    def event(self, reason: str, message: str, type_: str = "Normal") -> None:
        self.api.event(self.pod, reason, message, type_=type_, component="kubelet", host=self.node_name)

    def publish(self) -> None:
        if self.stopping:
            return
        self.api.update_status("pods", self.namespace, self.name, st.pod_status(
            containers=[r.state for r in self.runs.values()], init_containers=self.init_states,
            pod_ip=self.pod_ip, start_time=self.start_time, since=self.since, qos=st.qos_class(self.pod)))

    def _secrets(self, namespace: str, name: str):
        return self.api.get("secrets", namespace, name)

    def _configmaps(self, namespace: str, name: str):
        return self.api.get("configmaps", namespace, name)

    def mint(self, audience: str, expiration: int):
        from ..kubernetes import tokens

        doc = self.api.cluster_doc()
        if doc is None:
            raise VolumeError("the cluster is gone")
        sa_name = (self.pod.get("spec") or {}).get("serviceAccountName") or "default"
        sa = self.api.get("serviceaccounts", self.namespace, sa_name) or {"metadata": {"name": sa_name, "uid": ""}}
        node = self.api.get("nodes", None, self.node_name) or {"metadata": {"name": self.node_name, "uid": ""}}
        audiences = [audience] if audience else [self.kubelet.api_audience(self.api)]
        return tokens.mint(self.kubelet.backend, doc, namespace=self.namespace, service_account=sa,
                           audiences=audiences, expiration_seconds=expiration, pod=self.pod, node=node)

    def environment(self, spec: dict[str, Any]) -> dict[str, str]:
        """The process environment: the pod's resolved env (mount paths remapped) plus what the emulator
        needs, none of which appears in the pod spec."""
        env = resolve_env(self.pod, spec, self._secrets, self._configmaps)
        mounts = self.volumes.mounts(spec)
        env = {k: remap(v, mounts) for k, v in env.items()}
        home, bin_dir = self.root / "home", self.root / "bin"
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        bin_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        base = {"HOSTNAME": self.name, "HOME": str(home), "PATH": str(bin_dir), "PYTHONUNBUFFERED": "1",
                "LANG": "C.UTF-8", "PYTHONPATH": PACKAGE_ROOT}
        forced = {"AZURE_POD_IDENTITY_AUTHORITY_HOST": self.settings.imds_url,
                  "KEYLESS_SERVICE_MAP": str(self.kubelet.network.map_file(self.api.key)),
                  "KEYLESS_POD_NAMESPACE": self.namespace}
        if self.settings.ca_bundle:
            forced.update(REQUESTS_CA_BUNDLE=self.settings.ca_bundle, SSL_CERT_FILE=self.settings.ca_bundle)
        return {**base, **env, **forced}

    # -- lifecycle ---------------------------------------------------------------------
    async def run(self) -> None:
        self.publish()
        while not self.stopping:
            try:
                self.volumes.setup(self.pod, self.mint, self._secrets, self._configmaps)
                break
            except VolumeError as e:
                self.event("FailedMount", f"MountVolume.SetUp failed for volume: {e}", "Warning")
                await self._sleep(self.settings.env_retry)
        if self.stopping:
            return
        for init in self.init_states:
            self._pulled(init)
            self.event("Created", f"Created container: {init.name}")
            self.event("Started", f"Started container {init.name}")
            init.state = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": st.now_iso(),
                                         "finishedAt": st.now_iso()}}
        self.tasks = [asyncio.create_task(self._container(run)) for run in self.runs.values()]
        if self.volumes.tokens:
            self.tasks.append(asyncio.create_task(self._refresh_tokens()))

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.stopped.wait(), timeout=seconds)
        except TimeoutError:
            pass

    def _pulled(self, state: st.ContainerState) -> None:
        if state.image_pulled:
            return
        self.event("Pulling", f'Pulling image "{state.image}"')
        self.event("Pulled", f'Successfully pulled image "{state.image}" in 1.204s (1.204s including waiting). '
                             f"Image size: {IMAGE_SIZE} bytes.")
        state.image_pulled = True

    async def _container(self, run: ContainerRun) -> None:
        state = run.state
        self._pulled(state)
        while not self.stopping:
            try:
                env = self.environment(run.spec)
            except ContainerConfigError as e:
                state.state = {"waiting": {"reason": "CreateContainerConfigError", "message": str(e)}}
                self.event("Failed", f"Error: {e}", "Warning")
                self.publish()
                await self._sleep(self.settings.env_retry)
                continue
            app = app_for_image(state.image) if self.settings.run_processes else None
            state.container_id = st.container_id(self.uid, state.name, run.instance)
            self.event("Created", f"Created container: {state.name}")
            if app is None:
                await self._idle(run)
                return
            code = await self._run_process(run, app, env)
            if self.stopping:
                return
            await self._back_off(run, code)

    async def _idle(self, run: ContainerRun) -> None:
        state = run.state
        reason = ("processes are off in this emulator (kubelet disabled)" if not self.settings.run_processes
                  else f"the keyless emulator has no local implementation of image {state.image}")
        self.kubelet.logs.open(self.log_key(state.name), self.log_folder(state.name))
        self.kubelet.logs.write(self.log_key(state.name),
                                f"keyless emulator: idle container: {reason}; it reports Running and Ready and "
                                "serves nothing")
        state.state = {"running": {"startedAt": st.now_iso()}}
        state.started = state.ready = True
        self.event("Started", f"Started container {state.name}")
        self.publish()

    async def _run_process(self, run: ContainerRun, app: str, env: dict[str, str]) -> int:
        state = run.state
        if run.listener is None:
            run.listener = listener()
            run.local_port = run.listener.getsockname()[1]
        key = self.log_key(state.name)
        args = [*[str(a) for a in run.spec.get("args") or []], "--port", str(run.local_port)]
        logs = self.kubelet.logs
        logs.open(key, self.log_folder(state.name))
        started_at = st.now_iso()
        probe: asyncio.Task | None = None
        while True:
            run.process = ContainerProcess(self.kubelet.host, f"keyless_emulator.storeapps.{app}", args, env,
                                           str(self.root), lambda line, stream: logs.write(key, line, stream),
                                           listen_fd=run.listener.fileno())
            await run.process.start()
            run.dormant, run.active_at = False, asyncio.get_running_loop().time()
            self.kubelet.processes.add(run.process)
            if self.stopping:  # the pod went while its process was being started
                await run.process.stop(self.grace)
                self.kubelet.processes.discard(run.process)
                self._close_listener(run)
                return -1
            if probe is None:
                state.state = {"running": {"startedAt": started_at}}
                state.started = True
                self.event("Started", f"Started container {state.name}")
                self.publish()
                probe = asyncio.create_task(self._readiness(run))
            code = await run.process.wait()
            self.kubelet.processes.discard(run.process)
            if not (run.idled and state.ready) or self.stopping:
                break
            run.idled = False  # stopped for idleness: the same container, started again by its next connection
            if not await self._dormant(run):
                break
        probe.cancel()
        run.idled = run.dormant = False
        self._close_listener(run)  # the next instance gets a fresh port, as a restarted container would
        self.kubelet.logs.terminated(key)
        state.ready = state.started = False
        state.last_state = {"terminated": {"exitCode": code if code >= 0 else 128 - code,
                                           "reason": "Completed" if code == 0 else "Error",
                                           "startedAt": started_at, "finishedAt": st.now_iso(),
                                           "containerID": state.container_id}}
        return code

    async def _dormant(self, run: ContainerRun) -> bool:
        """Wait, the app stopped, for a connection to its port (True) or the pod's end (False)."""
        assert run.listener is not None
        run.dormant = True
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()
        fd = run.listener.fileno()
        loop.add_reader(fd, lambda: woken.done() or woken.set_result(None))
        stopped = asyncio.ensure_future(self.stopped.wait())
        try:
            await asyncio.wait([woken, stopped], return_when=asyncio.FIRST_COMPLETED)
        finally:
            loop.remove_reader(fd)
            stopped.cancel()
        return woken.done() and not self.stopping

    def stop_if_idle(self, run: ContainerRun, busy: set[int], now: float) -> None:
        """Called by the kubelet's idle sweep: stop the app of `run` if its port went unused long enough."""
        process = run.process
        if (self.stopping or run.idled or process is None or not process.running or not run.state.ready
                or run.local_port is None):
            return
        if run.local_port in busy:
            run.active_at = now
        elif now - run.active_at >= self.settings.idle_stop:
            run.idled = True
            self.tasks.append(asyncio.create_task(process.stop(self.grace)))

    @staticmethod
    def _close_listener(run: ContainerRun) -> None:
        if run.listener is not None:
            run.listener.close()
        run.listener, run.local_port = None, None

    async def _readiness(self, run: ContainerRun) -> None:
        probe = (run.spec.get("readinessProbe") or {}).get("httpGet")
        while not self.stopping:
            if await probes.ready(run.local_port, probe):
                run.state.ready = True
                self.publish()
                self.kubelet.network.changed(self.api)
                return
            await asyncio.sleep(self.settings.readiness_period)

    async def _back_off(self, run: ContainerRun, code: int) -> None:
        state = run.state
        state.restart_count += 1
        delay = min(self.settings.backoff_base * 2 ** (state.restart_count - 1), self.settings.backoff_max)
        pod_ref = f"{self.name}_{self.namespace}({self.uid})"
        state.state = {"waiting": {"reason": "CrashLoopBackOff",
                                   "message": f"back-off {delay:g}s restarting failed container={state.name} "
                                              f"pod={pod_ref}"}}
        self.event("BackOff", f"Back-off restarting failed container {state.name} in pod {pod_ref}", "Warning")
        self.publish()
        self.kubelet.network.changed(self.api)
        await self._sleep(delay)
        if self.stopping:
            return
        self.kubelet.logs.restart(self.log_key(state.name))
        run.instance += 1

    async def _refresh_tokens(self) -> None:
        while not self.stopping:
            due = min(p.refresh_at for p in self.volumes.tokens)
            await self._sleep(max(0.05, due - self.kubelet.backend.clock.time()))
            if self.stopping:
                return
            now = self.kubelet.backend.clock.time()
            for projection in self.volumes.tokens:
                if now >= projection.refresh_at:
                    try:
                        self.volumes.refresh(projection, self.mint)
                    except VolumeError:
                        return

    async def stop(self) -> None:
        """Stop every container (SIGTERM, then SIGKILL), then remove the pod's folder and logs."""
        if self.stopping:
            return
        grace = self.grace
        for run in self.runs.values():
            if run.process is not None and run.process.running:
                self.event("Killing", f"Stopping container {run.state.name}")
        self.stopping = True
        self.stopped.set()
        await asyncio.gather(*(run.process.stop(grace) for run in self.runs.values() if run.process is not None),
                             return_exceptions=True)
        for run in self.runs.values():
            if run.process is not None:
                self.kubelet.processes.discard(run.process)
        for task in self.tasks:
            task.cancel()
        for run in self.runs.values():
            self._close_listener(run)
        self.volumes.remove()
        self.kubelet.logs.drop_pod(self.api.key, self.namespace, self.name)

    def local_address(self, container_port: int | str | None) -> str | None:
        """`127.0.0.1:<local port>` of the ready container that declares `container_port` (number or name;
        None: the first container with a port)."""
        for run in self.runs.values():
            if not run.state.ready or run.local_port is None:
                continue
            if container_port is None:
                return f"127.0.0.1:{run.local_port}"
            for port in run.spec.get("ports") or []:
                if container_port in (port.get("containerPort"), port.get("name") or None):
                    return f"127.0.0.1:{run.local_port}"
            if not run.spec.get("ports") and len(self.runs) == 1:
                return f"127.0.0.1:{run.local_port}"
        return None

    @property
    def grace(self) -> float:
        """terminationGracePeriodSeconds, capped (the emulator does not wait 30 s for a local process)."""
        return min(float((self.pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30)),
                   self.settings.grace_max)

    @property
    def ready(self) -> bool:
        return bool(self.runs) and all(r.state.ready for r in self.runs.values())

