"""Service networking on this machine (what kube-proxy and the cloud load balancer do on AKS).

- `endpoints(cluster, namespace, service, port)`: the local addresses (`127.0.0.1:<port>`) of
  the ready pods the Service selects, for its port's targetPort (number or name). The API
  server's service proxy and our forwarders use it.
- Every Service port gets a small asyncio TCP forwarder on 127.0.0.1, choosing a ready endpoint
  per connection: on the port's nodePort (NodePort and LoadBalancer Services) when it is free on
  this machine, as a node would listen, else on any free port. The per-cluster service map
  (`<pods_dir>/<cluster>/services.json`,
  `{"<ns>/<service>/<port>": "127.0.0.1:<local port>"}`) lets the store apps resolve in-cluster
  names (`http://ai-service:5001/`) without any change to the pod spec.
- A LoadBalancer Service gets its own loopback address (loadbalancer.py) with a listener on its
  lowest port there (port 80 where the OS allows it), `status.loadBalancer.ingress: [{"ip":
  "<that address>", "ipMode": "VIP"}]`, and the annotation `keyless.emulator/local-url:
  http://<address>:<port it listens on>`, so `http://<ingress ip>` answers as on AKS, and where the
  Service's port could not be bound the annotation names the port that was.
"""
from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .api import ClusterAPI
from .loadbalancer import Listener, address_for, listen
from .volumes import write_private

if TYPE_CHECKING:
    from .kubelet import Kubelet

LOCAL_URL_ANNOTATION = "keyless.emulator/local-url"
LOCAL_IP = "127.0.0.1"


def selects(selector: dict[str, str] | None, labels: dict[str, str] | None) -> bool:
    if not selector:
        return False  # a Service without selector has no automatic endpoints
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _still_serving(api: Any, worker: Any) -> bool:
    """A worker whose pod was deleted (or replaced by a pod of the same name) is not an endpoint,
    even while its process is still stopping."""
    if worker.stopping:
        return False
    current = api.get("pods", worker.namespace, worker.name)
    meta = (current or {}).get("metadata") or {}
    return current is not None and meta.get("uid") == worker.uid and not meta.get("deletionTimestamp")


@dataclass
class Forwarder:
    server: asyncio.AbstractServer
    local_port: int


class Network:
    def __init__(self, kubelet: Kubelet):
        self.kubelet = kubelet
        self._forwarders: dict[tuple[str, str, str, int], Forwarder] = {}
        self._balancers: dict[tuple[str, str, str], tuple[int, Listener]] = {}
        self._balancer_locks: dict[tuple[str, str, str], asyncio.Lock] = {}
        self._next: dict[tuple[str, str, str, int], int] = {}
        self._lock = threading.Lock()

    # -- endpoints ---------------------------------------------------------------------
    def endpoints(self, cluster: str, namespace: str, service: str, port: int | str | None = None) -> list[str]:
        """Local addresses of the ready pods behind a Service port (the first port when None)."""
        api = self.kubelet.api_of(cluster)
        if api is None:
            return []
        svc = api.get("services", namespace, service)
        if svc is None:
            return []
        spec = svc.get("spec") or {}
        ports = spec.get("ports") or []
        chosen = None
        for p in ports:
            if port is None or p.get("port") == port or str(p.get("port")) == str(port) or p.get("name") == port:
                chosen = p
                break
        if chosen is None:
            return []
        target = chosen.get("targetPort", chosen.get("port"))
        out = []
        for worker in self.kubelet.workers_of(cluster):
            if worker.namespace != namespace or not selects(spec.get("selector"),
                                                             (worker.pod.get("metadata") or {}).get("labels")):
                continue
            if not _still_serving(api, worker):
                continue
            address = worker.local_address(target)
            if address:
                out.append(address)
        return sorted(out)

    def pick(self, cluster: str, namespace: str, service: str, port: int | str | None) -> str | None:
        addresses = self.endpoints(cluster, namespace, service, port)
        if not addresses:
            return None
        key = (cluster, namespace, service, port)
        with self._lock:
            i = self._next.get(key, 0)
            self._next[key] = i + 1
        return addresses[i % len(addresses)]

    # -- forwarders --------------------------------------------------------------------
    def map_file(self, cluster: str) -> Path:
        return self.kubelet.settings.pods_dir / cluster / "services.json"

    def local_port(self, cluster: str, namespace: str, service: str, port: int) -> int | None:
        f = self._forwarders.get((cluster, namespace, service, port))
        return f.local_port if f else None

    async def sync_service(self, api: ClusterAPI, event: str, svc: dict[str, Any]) -> None:
        meta, spec = svc.get("metadata") or {}, svc.get("spec") or {}
        namespace, name = meta.get("namespace") or "default", meta.get("name", "")
        ports = {int(p["port"]): p for p in spec.get("ports") or [] if p.get("port")} if event != "DELETED" else {}
        for key in [k for k in self._forwarders if k[:3] == (api.key, namespace, name) and k[3] not in ports]:
            forwarder = self._forwarders.pop(key)
            forwarder.server.close()
        for port in sorted(ports):
            key = (api.key, namespace, name, port)
            if key not in self._forwarders:
                forwarder = await self._serve(key, ports[port].get("nodePort"))
                if key in self._forwarders:  # a concurrent sync of the same Service (attach + watch) won the race
                    forwarder.server.close()
                else:
                    self._forwarders[key] = forwarder
        self._write_map(api.key)
        balanced = event != "DELETED" and spec.get("type") == "LoadBalancer" and bool(ports)
        listener = await self._sync_balancer((api.key, namespace, name), ports if balanced else {})
        if listener is not None:
            self._publish_load_balancer(api, svc, listener)

    async def _sync_balancer(self, key: tuple[str, str, str], ports: dict[int, Any]) -> Listener | None:
        """The load balancer's listener for the Service's lowest port (none when not a LoadBalancer).

        Changes of one Service can be synced concurrently; one at a time per Service, or a second
        listener would find the port taken by the first."""
        async with self._balancer_locks.setdefault(key, asyncio.Lock()):
            return await self._sync_balancer_locked(key, ports)

    async def _sync_balancer_locked(self, key: tuple[str, str, str], ports: dict[int, Any]) -> Listener | None:
        current = self._balancers.get(key)
        port = min(ports) if ports else None
        if current is not None and current[0] != port:
            self._balancers.pop(key)[1].server.close()
            current = None
        if port is None:
            return None
        if current is None:
            listener = await listen(self._handler((*key, port)), address_for(*key), port, ports[port].get("nodePort"))
            current = self._balancers[key] = (port, listener)
        return current[1]

    def _handler(self, key: tuple[str, str, str, int]) -> Any:
        """Per connection: a ready endpoint of the Service port, piped both ways."""
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            address = self.pick(*key)
            if address is None:  # no ready endpoint: the connection is refused, as kube-proxy rejects it
                writer.close()
                return
            host, port = address.rsplit(":", 1)
            try:
                up_reader, up_writer = await asyncio.open_connection(host, int(port))
            except OSError:
                writer.close()
                return
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True)

        return handle

    async def _serve(self, key: tuple[str, str, str, int], node_port: int | None = None) -> Forwarder:
        """A forwarder on the Service port's nodePort when that port is free here (this machine is the
        node), else on any free port."""
        handle = self._handler(key)
        server = None
        if node_port:
            try:
                server = await asyncio.start_server(handle, LOCAL_IP, int(node_port))
            except OSError:
                server = None
        if server is None:
            server = await asyncio.start_server(handle, LOCAL_IP, 0)
        return Forwarder(server, server.sockets[0].getsockname()[1])

    def _write_map(self, cluster: str) -> None:
        mapping = {f"{ns}/{svc}/{port}": f"{LOCAL_IP}:{f.local_port}"
                   for (c, ns, svc, port), f in sorted(self._forwarders.items()) if c == cluster}
        write_private(self.map_file(cluster), json.dumps(mapping, indent=1, sort_keys=True).encode())

    def _publish_load_balancer(self, api: ClusterAPI, svc: dict[str, Any], listener: Listener) -> None:
        meta = svc.get("metadata") or {}
        namespace, name = meta.get("namespace") or "default", meta.get("name", "")
        url = listener.url
        if (meta.get("annotations") or {}).get(LOCAL_URL_ANNOTATION) != url:
            def annotate(obj: dict[str, Any]) -> None:
                obj.setdefault("metadata", {}).setdefault("annotations", {})[LOCAL_URL_ANNOTATION] = url
            api.update("services", namespace, name, annotate)
        status = {"loadBalancer": {"ingress": [{"ip": listener.ip, "ipMode": "VIP"}]}}
        if (svc.get("status") or {}).get("loadBalancer") != status["loadBalancer"]:
            api.update_status("services", namespace, name, status)

    def balancer(self, cluster: str, namespace: str, service: str) -> Listener | None:
        """The load balancer listening for a LoadBalancer Service, if there is one."""
        current = self._balancers.get((cluster, namespace, service))
        return current[1] if current is not None else None

    def changed(self, api: ClusterAPI) -> None:
        """Pod readiness changed: nothing to push (forwarders choose per connection); hook for Endpoints."""

    async def close_cluster(self, cluster: str) -> None:
        for key in [k for k in self._forwarders if k[0] == cluster]:
            self._forwarders.pop(key).server.close()
        for lb in [k for k in self._balancers if k[0] == cluster]:
            self._balancers.pop(lb)[1].server.close()

    async def close(self) -> None:
        for forwarder in self._forwarders.values():
            forwarder.server.close()
        self._forwarders.clear()
        for _, listener in self._balancers.values():
            listener.server.close()
        self._balancers.clear()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    finally:
        try:
            writer.close()
        except Exception:  # noqa: BLE001 — the other side may be gone already
            pass
