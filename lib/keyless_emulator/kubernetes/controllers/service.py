"""The service controllers: LoadBalancer services get an external IP (with the cloud's events);
Endpoints and the EndpointSlice of a service follow its ready and not-ready pods."""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ..plain import clone
from .objects import CONTROLLER_MANAGER, is_ready, owner_ref, terminating

if TYPE_CHECKING:
    from ..store import ClusterStore


def load_balancer_address(cluster: str, namespace: str, name: str) -> str:
    """A LoadBalancer Service's address: its own loopback address (127.64.0.1 - 127.191.255.254),
    stable per cluster, namespace and name. The kubelet listens there (kubelet/loadbalancer.py), so the
    address a client reads first is the one that answers, as a public IP does on AKS."""
    h = hashlib.sha256(f"{cluster}/{namespace}/{name}".encode()).digest()
    return f"127.{64 + h[0] % 128}.{h[1]}.{1 + h[2] % 254}"


class ServiceController:
    """Load balancers, endpoints and endpoint slices of services."""

    def __init__(self, store: ClusterStore):
        self.store = store

    # -- services ------------------------------------------------------------------------
    def sync_load_balancer(self, namespace: str, name: str) -> None:
        s = self.store
        svc = s.find("services", namespace, name)
        if svc is None:
            return
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress")
        if (svc.get("spec") or {}).get("type") != "LoadBalancer":
            if ingress:  # no longer a load balancer: the cloud side is torn down
                status = clone(svc.get("status") or {})
                status["loadBalancer"] = {}
                svc = s.update_status("services", namespace, name, status, manager=CONTROLLER_MANAGER)
                s.record_event(svc, "DeletedLoadBalancer", "Deleted load balancer",
                               source_component="service-controller")
            return
        if ingress:
            return
        ip = load_balancer_address(s.cluster_key, namespace, name)
        s.record_event(svc, "EnsuringLoadBalancer", "Ensuring load balancer", source_component="service-controller")
        status = clone(svc.get("status") or {})
        status["loadBalancer"] = {"ingress": [{"ip": ip, "ipMode": "VIP"}]}
        svc = s.update_status("services", namespace, name, status, manager=CONTROLLER_MANAGER)
        s.record_event(svc, "EnsuredLoadBalancer", "Ensured load balancer", source_component="service-controller")

    def sync_endpoints(self, namespace: str, name: str) -> None:
        s = self.store
        svc = s.find("services", namespace, name)
        if svc is None:
            return
        selector = (svc.get("spec") or {}).get("selector")
        if not selector:
            return
        ready, not_ready = [], []

        def selected(pod: dict[str, Any]) -> bool:  # read in place: only the pods it selects are copied
            labels = (pod.get("metadata") or {}).get("labels") or {}
            ip = (pod.get("status") or {}).get("podIP")
            return not (terminating(pod) or not ip or any(labels.get(k) != v for k, v in selector.items()))

        for pod in s.list("pods", namespace, selected)[0]:
            addr = {"ip": pod["status"]["podIP"], "nodeName": (pod.get("spec") or {}).get("nodeName"),
                    "targetRef": {"kind": "Pod", "namespace": namespace, "name": pod["metadata"]["name"],
                                  "uid": pod["metadata"]["uid"]}}
            (ready if is_ready(pod) else not_ready).append(addr)
        ports = []
        for p in (svc.get("spec") or {}).get("ports") or []:
            target = p.get("targetPort", p.get("port"))
            port = {"port": target if isinstance(target, int) else p.get("port"), "protocol": p.get("protocol", "TCP")}
            if p.get("name"):
                port["name"] = p["name"]
            ports.append(port)
        subsets = []
        if ready or not_ready:
            subset: dict[str, Any] = {}
            if ready:
                subset["addresses"] = ready
            if not_ready:
                subset["notReadyAddresses"] = not_ready
            subset["ports"] = ports
            subsets.append(subset)
        self._sync_slice(svc, ready, not_ready, ports)
        current = s.find("endpoints", namespace, name)
        body = {"metadata": {"name": name, "labels": (svc.get("metadata") or {}).get("labels") or {}}}
        if subsets:
            body["subsets"] = subsets
        if not body["metadata"]["labels"]:
            body["metadata"].pop("labels")
        if current is None:
            s.create("endpoints", body, namespace, manager=CONTROLLER_MANAGER)
        elif current.get("subsets") != body.get("subsets"):
            current["subsets"] = subsets
            if not subsets:
                current.pop("subsets", None)
            s.replace("endpoints", current, namespace, name, manager=CONTROLLER_MANAGER)

    def _sync_slice(self, svc: dict[str, Any], ready: list[dict[str, Any]], not_ready: list[dict[str, Any]],
                    ports: list[dict[str, Any]]) -> None:
        """The service's EndpointSlice (`<service>-<5 chars>`), as kubectl describe reads it."""
        s, namespace, name = self.store, svc["metadata"]["namespace"], svc["metadata"]["name"]
        endpoints = []
        for addr, ready_now in [(a, True) for a in ready] + [(a, False) for a in not_ready]:
            endpoints.append({"addresses": [addr["ip"]], "conditions": {"ready": ready_now, "serving": ready_now,
                                                                         "terminating": False},
                              "nodeName": addr.get("nodeName"), "targetRef": addr["targetRef"]})
        body: dict[str, Any] = {
            "metadata": {"generateName": f"{name}-", "labels": {
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                "kubernetes.io/service-name": name}, "ownerReferences": [owner_ref(svc)]},
            "addressType": "IPv4", "endpoints": endpoints or None, "ports": ports or None}
        existing = self._slice_of(namespace, name)
        if existing is None:
            s.create("endpointslices", body, namespace, manager=CONTROLLER_MANAGER)
        elif (existing.get("endpoints"), existing.get("ports")) != (body["endpoints"], body["ports"]):
            existing["endpoints"], existing["ports"] = body["endpoints"], body["ports"]
            s.replace("endpointslices", existing, namespace, existing["metadata"]["name"], manager=CONTROLLER_MANAGER)

    def _slice_of(self, namespace: str, service: str) -> dict[str, Any] | None:
        found = self.store.list("endpointslices", namespace,
                                lambda e: (e["metadata"].get("labels") or {}).get("kubernetes.io/service-name")
                                == service)[0]
        return found[0] if found else None

    def drop_endpoints(self, namespace: str, name: str) -> None:
        if self.store.find("endpoints", namespace, name) is not None:
            self.store.delete("endpoints", namespace, name)
