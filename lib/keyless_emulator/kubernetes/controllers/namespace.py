"""The namespace controller, and the objects every cluster starts with.

A new cluster gets its namespaces (default, kube-node-lease, kube-public, kube-system), its one
node and the `kubernetes` and `kube-dns` services; a new namespace gets the `default`
ServiceAccount and the `kube-root-ca.crt` ConfigMap (so pods can trust the API server); a
deleted namespace is Terminating, then its content and itself are removed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import clusters
from .. import defaults
from ..authz import bootstrap
from .objects import API_SERVER, CONTROLLER_MANAGER, node_name, terminating

if TYPE_CHECKING:
    from ..store import ClusterStore


ROOT_CA = "kube-root-ca.crt"
ROOT_CA_DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
                       "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
                       "guaranteed across distributions of Kubernetes clusters.")


class NamespaceController:
    """Bootstraps clusters and namespaces; finalizes terminating namespaces."""

    def __init__(self, store: ClusterStore):
        self.store = store

    # -- cluster and namespace -----------------------------------------------------------
    def bootstrap_cluster(self) -> None:
        s = self.store
        for ns in ("default", "kube-node-lease", "kube-public", "kube-system"):
            if s.find("namespaces", None, ns) is None:
                s.create("namespaces", {"metadata": {"name": ns}}, manager=API_SERVER)
        for resource, obj in bootstrap.objects():  # kube-apiserver's bootstrap RBAC policy and AKS's roles
            if s.find(resource, None, obj["metadata"]["name"]) is None:
                s.create(resource, obj, manager=API_SERVER)
        if s.find("nodes", None, node_name(s)) is None:
            s.create("nodes", self._node(), manager="kubelet")
        if s.find("services", "default", "kubernetes") is None:
            s.create("services", {"metadata": {"name": "kubernetes", "labels": {
                "component": "apiserver", "provider": "kubernetes"}},
                "spec": {"clusterIP": defaults.KUBERNETES_SERVICE_IP, "ports": [
                    {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}]}}, "default",
                manager=API_SERVER)
        if s.find("services", "kube-system", "kube-dns") is None:
            s.create("services", {"metadata": {"name": "kube-dns", "labels": {
                "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"}},
                "spec": {"clusterIP": defaults.DNS_SERVICE_IP, "selector": {"k8s-app": "kube-dns"}, "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}]}}, "kube-system")

    def _node(self) -> dict[str, Any]:
        name = node_name(self.store)
        doc = self.store.cluster.doc or {}
        location = doc.get("location", "eastus")
        ids = self.store.backend.state.ids  # what the kubelet reads from the machine, made up once per cluster
        return {
            "metadata": {"name": name, "labels": {
                "agentpool": "nodepool1", "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                "kubernetes.azure.com/agentpool": "nodepool1", "kubernetes.azure.com/cluster": doc.get("name", ""),
                "kubernetes.azure.com/mode": "system", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux", "kubernetes.io/role": "agent",
                "node.kubernetes.io/instance-type": "Standard_DS2_v2", "topology.kubernetes.io/region": location,
                "topology.kubernetes.io/zone": "0"}},
            "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"],
                     "providerID": self._provider_id(doc, name)},
            "status": {
                "addresses": [{"type": "InternalIP", "address": "10.224.0.4"}, {"type": "Hostname", "address": name}],
                "allocatable": {"cpu": "1900m", "ephemeral-storage": "119703055367", "memory": "4652236Ki",
                                "pods": "110"},
                "capacity": {"cpu": "2", "ephemeral-storage": "129886128Ki", "memory": "7097548Ki", "pods": "110"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                "message": "kubelet is posting ready status",
                                "lastHeartbeatTime": self.store.now(), "lastTransitionTime": self.store.now()}],
                "nodeInfo": {"architecture": "amd64", "bootID": ids.guid("node-boot", self.store.cluster_key, name),
                             "containerRuntimeVersion": "containerd://1.7.27-1",
                             "kernelVersion": "5.15.0-1089-azure", "kubeProxyVersion": "",
                             "kubeletVersion": "v" + clusters.KUBERNETES_VERSION,
                             "machineID": ids.guid("node-machine", self.store.cluster_key, name).replace("-", ""),
                             "operatingSystem": "linux", "osImage": "Ubuntu 22.04.5 LTS",
                             "systemUUID": ids.guid("node-system", self.store.cluster_key, name)}}}

    @staticmethod
    def _provider_id(doc: dict[str, Any], node: str) -> str:
        """azure:///subscriptions/<sub>/resourceGroups/<node resource group>/providers/Microsoft.Compute/
        virtualMachineScaleSets/<vmss>/virtualMachines/<instance>, as the cloud provider sets it."""
        parts = (doc.get("id") or "").split("/")
        if len(parts) < 9:
            return ""
        group = (doc.get("properties") or {}).get("nodeResourceGroup") or \
            f"MC_{parts[4]}_{doc.get('name', '')}_{doc.get('location', '')}"
        vmss = node.rsplit("-vmss", 1)[0] + "-vmss"
        return (f"azure:///subscriptions/{parts[2]}/resourceGroups/{group.lower()}/providers/Microsoft.Compute/"
                f"virtualMachineScaleSets/{vmss}/virtualMachines/0")

    def bootstrap_namespace(self, namespace: str) -> None:
        s = self.store
        ns = s.find("namespaces", None, namespace)
        if ns is None or terminating(ns):
            return
        if s.find("serviceaccounts", namespace, "default") is None:
            s.create("serviceaccounts", {"metadata": {"name": "default"}}, namespace, manager=CONTROLLER_MANAGER)
        if s.find("configmaps", namespace, ROOT_CA) is None:
            tls = s.backend.tls
            ca = tls.ca_cert.read_text() if tls is not None else ""
            s.create("configmaps", {"metadata": {"name": ROOT_CA, "annotations": {
                "kubernetes.io/description": ROOT_CA_DESCRIPTION}}, "data": {"ca.crt": ca}}, namespace,
                     manager=CONTROLLER_MANAGER)

    def terminate_namespace(self, namespace: str) -> None:
        s = self.store
        ns = s.find("namespaces", None, namespace)
        if ns is None or not terminating(ns):
            return
        for resource, obj in list(s.all_objects()):
            if resource != "namespaces" and (obj.get("metadata") or {}).get("namespace") == namespace:
                s.finalize(resource, obj)
        s.finalize("namespaces", ns)
