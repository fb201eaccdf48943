"""The controllers of kube-controller-manager and the scheduler, for the kinds served here.

Driven by store changes: `observe()` queues work items on the store, which runs them when the
outermost write returns (see store.py), so nothing here ever waits or blocks a request.

- namespace: a new namespace gets the `default` ServiceAccount and the `kube-root-ca.crt`
  ConfigMap; a deleted one is Terminating, then its content and itself are removed;
- deployment: one ReplicaSet per pod template (`<deployment>-<pod-template-hash>`), rolling
  update bounded by maxSurge/maxUnavailable (old pods go only once new ones are Ready), status
  and the Available/Progressing conditions `kubectl rollout status` reads;
- replicaset: pods `<replicaset>-<5 chars>`; a refused pod becomes a FailedCreate event;
- scheduler: binds pending pods to the cluster's node (`Scheduled` event), or leaves them
  Pending with `FailedScheduling` when their nodeSelector does not match it;
- service: LoadBalancer services get an external IP; endpoints follow ready pods;
- garbage collector: ownerReferences, Background/Foreground/Orphan propagation.
"""
from __future__ import annotations

import copy
import hashlib
import json
from typing import TYPE_CHECKING, Any

from . import defaults, errors, kinds
from .selectors import match_label_selector
from .store import substitute

if TYPE_CHECKING:
    from .store import ClusterStore

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
ROOT_CA = "kube-root-ca.crt"
ROOT_CA_DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
                       "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
                       "guaranteed across distributions of Kubernetes clusters.")
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(template: dict[str, Any], collision_count: int = 0) -> str:
    """fnv-1a (32 bit) of the template, rendered as kube's SafeEncodeString of its decimal value."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return "".join(_ALPHANUMS[ord(c) % len(_ALPHANUMS)] for c in str(h))


def owner_ref(obj: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def controller_uid(obj: dict[str, Any]) -> str | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def is_ready(pod: dict[str, Any]) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def _terminating(obj: dict[str, Any]) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def _without_hash(template: dict[str, Any]) -> dict[str, Any]:
    t = copy.deepcopy(template)
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    (t.get("metadata") or {}).pop("creationTimestamp", None)
    return t


def node_name(store: ClusterStore) -> str:
    digits = str(int(hashlib.sha256(store.cluster_key.encode()).hexdigest(), 16))[-8:]
    return f"aks-nodepool1-{digits}-vmss000000"


class ControllerManager:
    def __init__(self, store: ClusterStore):
        self.store = store

    # -- dispatch ------------------------------------------------------------------------
    def observe(self, type_: str, resource: str, obj: dict[str, Any], prev: dict[str, Any] | None) -> None:
        s, meta = self.store, obj.get("metadata") or {}
        ns, name = meta.get("namespace") or "", meta.get("name") or ""
        if type_ == "DELETED" and meta.get("uid"):
            s.enqueue(self.collect_dependents, meta["uid"])
            for ref in meta.get("ownerReferences") or []:  # an owner waiting in foreground deletion
                owner_kind = kinds.by_api_version(ref.get("apiVersion", ""), ref.get("kind", ""))
                if owner_kind is not None:
                    s.enqueue(self.foreground, owner_kind.resource, ns if owner_kind.namespaced else "",
                              ref.get("name", ""))
        if type_ == "MODIFIED" and _terminating(obj) and "foregroundDeletion" in (meta.get("finalizers") or []):
            s.enqueue(self.foreground, resource, ns, name)
        if resource == "namespaces":
            if _terminating(obj):
                s.enqueue(self.terminate_namespace, name)
            elif type_ != "DELETED":
                s.enqueue(self.bootstrap_namespace, name)
        elif resource in ("serviceaccounts", "configmaps") and type_ == "DELETED":
            s.enqueue(self.bootstrap_namespace, ns)
        elif resource == "serviceaccounts" and type_ == "ADDED":
            for rs in s.list("replicasets", ns)[0]:
                s.enqueue(self.sync_replicaset, ns, rs["metadata"]["name"])
        elif resource == "deployments" and type_ != "DELETED":
            s.enqueue(self.sync_deployment, ns, name)
        elif resource == "replicasets":
            if type_ != "DELETED":
                s.enqueue(self.sync_replicaset, ns, name)
            self._enqueue_owner(obj, "Deployment", self.sync_deployment)
        elif resource == "pods":
            self._enqueue_owner(obj, "ReplicaSet", self.sync_replicaset)
            if type_ != "DELETED" and not (obj.get("spec") or {}).get("nodeName"):
                s.enqueue(self.schedule, ns, name)
            for svc in s.list("services", ns)[0]:
                s.enqueue(self.sync_endpoints, ns, svc["metadata"]["name"])
        elif resource == "services":
            if type_ == "DELETED":
                s.enqueue(self.drop_endpoints, ns, name)
            else:
                s.enqueue(self.sync_endpoints, ns, name)
                s.enqueue(self.sync_load_balancer, ns, name)

    def _enqueue_owner(self, obj: dict[str, Any], kind: str, fn: Any) -> None:
        for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
            if ref.get("controller") and ref.get("kind") == kind:
                self.store.enqueue(fn, obj["metadata"].get("namespace") or "", ref.get("name"))

    # -- cluster and namespace -----------------------------------------------------------
    def bootstrap_cluster(self) -> None:
        s = self.store
        for ns in ("default", "kube-node-lease", "kube-public", "kube-system"):
            if s.find("namespaces", None, ns) is None:
                s.create("namespaces", {"metadata": {"name": ns}})
        if s.find("nodes", None, node_name(s)) is None:
            s.create("nodes", self._node())
        if s.find("services", "default", "kubernetes") is None:
            s.create("services", {"metadata": {"name": "kubernetes", "labels": {
                "component": "apiserver", "provider": "kubernetes"}},
                "spec": {"clusterIP": defaults.KUBERNETES_SERVICE_IP, "ports": [
                    {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}]}}, "default")
        if s.find("services", "kube-system", "kube-dns") is None:
            s.create("services", {"metadata": {"name": "kube-dns", "labels": {
                "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"}},
                "spec": {"clusterIP": defaults.DNS_SERVICE_IP, "selector": {"k8s-app": "kube-dns"}, "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}]}}, "kube-system")

    def _node(self) -> dict[str, Any]:
        from .. import clusters

        name = node_name(self.store)
        doc = self.store.cluster.doc or {}
        location = doc.get("location", "eastus")
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
                "nodeInfo": {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.27-1",
                             "kernelVersion": "5.15.0-1089-azure", "kubeProxyVersion": "",
                             "kubeletVersion": "v" + clusters.KUBERNETES_VERSION, "operatingSystem": "linux",
                             "osImage": "Ubuntu 22.04.5 LTS"}}}

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
        if ns is None or _terminating(ns):
            return
        if s.find("serviceaccounts", namespace, "default") is None:
            s.create("serviceaccounts", {"metadata": {"name": "default"}}, namespace)
        if s.find("configmaps", namespace, ROOT_CA) is None:
            tls = s.backend.tls
            ca = tls.ca_cert.read_text() if tls is not None else ""
            s.create("configmaps", {"metadata": {"name": ROOT_CA, "annotations": {
                "kubernetes.io/description": ROOT_CA_DESCRIPTION}}, "data": {"ca.crt": ca}}, namespace)

    def terminate_namespace(self, namespace: str) -> None:
        s = self.store
        ns = s.find("namespaces", None, namespace)
        if ns is None or not _terminating(ns):
            return
        for resource, obj in list(s.all_objects()):
            if resource != "namespaces" and (obj.get("metadata") or {}).get("namespace") == namespace:
                s.finalize(resource, obj)
        s.finalize("namespaces", ns)

    # -- garbage collector ---------------------------------------------------------------
    def dependents(self, uid: str) -> list[tuple[str, dict[str, Any]]]:
        return [(r, o) for r, o in self.store.all_objects()
                if any(ref.get("uid") == uid for ref in (o.get("metadata") or {}).get("ownerReferences") or [])]

    def has_dependents(self, obj: dict[str, Any]) -> bool:
        return bool(self.dependents(obj["metadata"]["uid"]))

    def orphan(self, obj: dict[str, Any]) -> None:
        uid = obj["metadata"]["uid"]
        for resource, dep in self.dependents(uid):
            refs = [r for r in dep["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
            new = copy.deepcopy(dep)
            if refs:
                new["metadata"]["ownerReferences"] = refs
            else:
                new["metadata"].pop("ownerReferences", None)
            self.store.replace(resource, new, dep["metadata"].get("namespace"), dep["metadata"]["name"])

    def collect_dependents(self, uid: str) -> None:
        for resource, dep in self.dependents(uid):
            meta = dep["metadata"]
            try:
                self.store.delete(resource, meta.get("namespace"), meta["name"], propagation="Background")
            except errors.KubeError:
                pass

    def foreground(self, resource: str, namespace: str, name: str) -> None:
        s = self.store
        owner = s.find(resource, namespace, name)
        if owner is None or not _terminating(owner) or "foregroundDeletion" not in (owner["metadata"].get(
                "finalizers") or []):
            return
        for dep_resource, dep in self.dependents(owner["metadata"]["uid"]):
            s.delete(dep_resource, dep["metadata"].get("namespace"), dep["metadata"]["name"], propagation="Foreground")
        if not self.dependents(owner["metadata"]["uid"]):
            owner = s.get(resource, namespace, name)
            owner["metadata"]["finalizers"] = [f for f in owner["metadata"].get("finalizers") or []
                                               if f != "foregroundDeletion"]
            s.replace(resource, owner, namespace, name)

    # -- scheduler -----------------------------------------------------------------------
    def schedule(self, namespace: str, name: str) -> None:
        s = self.store
        pod = s.find("pods", namespace, name)
        if pod is None or _terminating(pod) or (pod.get("spec") or {}).get("nodeName"):
            return
        node = node_name(s)
        labels = ((s.find("nodes", None, node) or {}).get("metadata") or {}).get("labels") or {}
        wanted = (pod.get("spec") or {}).get("nodeSelector") or {}
        if any(labels.get(k) != v for k, v in wanted.items()):
            status = copy.deepcopy(pod.get("status") or {})
            message = ("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: "
                       "0/1 nodes are available: 1 Preemption is not helpful for scheduling.")
            condition = {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                         "lastTransitionTime": s.now(), "reason": "Unschedulable", "message": message}
            if condition["reason"] not in [c.get("reason") for c in status.get("conditions") or []]:
                status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
                status["conditions"].append(condition)
                pod = s.update_status("pods", namespace, name, status)
                s.record_event(pod, "FailedScheduling", message, type="Warning", source_component="default-scheduler")
            return
        pod = s.bind(namespace, name, node)
        status = copy.deepcopy(pod.get("status") or {})
        status.setdefault("conditions", []).append(
            {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": s.now()})
        pod = s.update_status("pods", namespace, name, status)
        s.record_event(pod, "Scheduled", f"Successfully assigned {namespace}/{name} to {node}",
                       source_component="default-scheduler")

    # -- replica sets --------------------------------------------------------------------
    def _owned_pods(self, rs: dict[str, Any]) -> list[dict[str, Any]]:
        uid = rs["metadata"]["uid"]
        ns = rs["metadata"]["namespace"]
        return [p for p in self.store.list("pods", ns)[0] if controller_uid(p) == uid and not _terminating(p)]

    def sync_replicaset(self, namespace: str, name: str) -> None:
        s = self.store
        rs = s.find("replicasets", namespace, name)
        if rs is None or _terminating(rs):
            return
        pods = self._owned_pods(rs)
        want = int((rs.get("spec") or {}).get("replicas", 1))
        if len(pods) < want:
            for _ in range(want - len(pods)):
                if not self._create_pod(rs):
                    break
        elif len(pods) > want:
            ranked = sorted(pods, key=lambda p: (bool((p.get("spec") or {}).get("nodeName")), is_ready(p),
                                                 -int(p["metadata"]["resourceVersion"])))
            for pod in ranked[:len(pods) - want]:
                s.delete("pods", namespace, pod["metadata"]["name"])
                s.record_event(rs, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}",
                               source_component="replicaset-controller")
        pods = self._owned_pods(rs)
        rs = s.get("replicasets", namespace, name)
        ready = sum(1 for p in pods if is_ready(p))
        selector = (rs.get("spec") or {}).get("selector")
        status = {"replicas": len(pods),
                  "fullyLabeledReplicas": sum(1 for p in pods if match_label_selector(
                      selector, (p.get("metadata") or {}).get("labels") or {})),
                  "readyReplicas": ready, "availableReplicas": ready,
                  "observedGeneration": rs["metadata"].get("generation", 1)}
        status = {k: v for k, v in status.items() if v or k in ("replicas", "observedGeneration")}
        for c in (rs.get("status") or {}).get("conditions") or []:
            status.setdefault("conditions", []).append(c)
        if status != rs.get("status"):
            s.update_status("replicasets", namespace, name, status)

    def _create_pod(self, rs: dict[str, Any]) -> bool:
        s = self.store
        template = copy.deepcopy((rs.get("spec") or {}).get("template") or {})
        tmeta = template.get("metadata") or {}
        pod = {"metadata": {"generateName": rs["metadata"]["name"] + "-", "namespace": rs["metadata"]["namespace"],
                            "labels": tmeta.get("labels") or {}, "ownerReferences": [owner_ref(rs)]},
               "spec": template.get("spec") or {}}
        if tmeta.get("annotations"):
            pod["metadata"]["annotations"] = tmeta["annotations"]
        try:
            created = s.create("pods", pod, rs["metadata"]["namespace"])
        except errors.KubeError as e:
            s.record_event(rs, "FailedCreate", f"Error creating: {e.message}", type="Warning",
                           source_component="replicaset-controller")
            return False
        s.record_event(rs, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}",
                       source_component="replicaset-controller")
        return True

    # -- deployments ---------------------------------------------------------------------
    def _replicasets_of(self, d: dict[str, Any]) -> list[dict[str, Any]]:
        uid = d["metadata"]["uid"]
        return [rs for rs in self.store.list("replicasets", d["metadata"]["namespace"])[0]
                if controller_uid(rs) == uid and not _terminating(rs)]

    def _scale(self, d: dict[str, Any], rs: dict[str, Any], replicas: int) -> dict[str, Any]:
        s = self.store
        old = int(rs["spec"].get("replicas", 0))
        if old == replicas:
            return rs
        new = copy.deepcopy(rs)
        new["spec"]["replicas"] = replicas
        ann = new["metadata"].setdefault("annotations", {})
        ann["deployment.kubernetes.io/desired-replicas"] = str(d["spec"].get("replicas", 1))
        surge, _ = defaults.surge_and_unavailable(d)
        ann["deployment.kubernetes.io/max-replicas"] = str(int(d["spec"].get("replicas", 1)) + surge)
        rs = s.replace("replicasets", new, rs["metadata"]["namespace"], rs["metadata"]["name"])
        verb = "up" if replicas > old else "down"
        s.record_event(d, "ScalingReplicaSet", f"Scaled {verb} replica set {rs['metadata']['name']} from {old} to "
                       f"{replicas}", source_component="deployment-controller")
        return rs

    def _revision(self, rs: dict[str, Any]) -> int:
        try:
            return int(((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION, "0"))
        except ValueError:
            return 0

    def sync_deployment(self, namespace: str, name: str) -> None:
        s = self.store
        d = s.find("deployments", namespace, name)
        if d is None or _terminating(d):
            return
        spec = d["spec"]
        replicas = int(spec.get("replicas", 1))
        template = spec.get("template") or {}
        all_rs = self._replicasets_of(d)
        wanted = _without_hash(template)
        new_rs = next((rs for rs in all_rs if _without_hash(rs["spec"].get("template") or {}) == wanted), None)
        old_rs = [rs for rs in all_rs if new_rs is None or rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
        max_revision = max((self._revision(rs) for rs in all_rs), default=0)
        surge, unavailable = defaults.surge_and_unavailable(d)
        created_now = False
        if spec.get("paused"):
            self._update_status(d, new_rs, all_rs, created_now)
            return
        if new_rs is None:
            new_rs = self._create_replicaset(d, max_revision + 1, old_rs, replicas, surge)
            created_now = True
            all_rs = old_rs + [new_rs]
        elif self._revision(new_rs) < max_revision:
            bumped = copy.deepcopy(new_rs)
            bumped["metadata"].setdefault("annotations", {})[REVISION] = str(max_revision + 1)
            new_rs = s.replace("replicasets", bumped, namespace, new_rs["metadata"]["name"])
        if (spec.get("strategy") or {}).get("type") == "Recreate":
            for rs in old_rs:
                self._scale(d, rs, 0)
            if not any(self._owned_pods(rs) for rs in old_rs):
                new_rs = self._scale(d, new_rs, replicas)
        else:
            new_rs = self._rolling(d, new_rs, old_rs, replicas, surge, unavailable)
        self._cleanup(d, new_rs)
        self._update_status(d, s.find("replicasets", namespace, new_rs["metadata"]["name"]),
                            self._replicasets_of(d), created_now)

    def _create_replicaset(self, d: dict[str, Any], revision: int, old_rs: list[dict[str, Any]], replicas: int,
                           surge: int) -> dict[str, Any]:
        s = self.store
        template = copy.deepcopy(d["spec"].get("template") or {})
        # hashed as a snapshot holds it, so the name does not depend on the emulator's port
        h = template_hash(substitute(template, s.installation_values()),
                          int((d.get("status") or {}).get("collisionCount", 0)))
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = h
        selector = copy.deepcopy(d["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = h
        current_total = sum(int(rs["spec"].get("replicas", 0)) for rs in old_rs)
        initial = replicas if not old_rs else max(0, min(replicas, replicas + surge - current_total))
        if (d["spec"].get("strategy") or {}).get("type") == "Recreate" and old_rs:
            initial = 0
        rs = {"metadata": {"name": f"{d['metadata']['name']}-{h}", "labels": dict(template["metadata"]["labels"]),
                           "annotations": {"deployment.kubernetes.io/desired-replicas": str(replicas),
                                           "deployment.kubernetes.io/max-replicas": str(replicas + surge),
                                           REVISION: str(revision)},
                           "ownerReferences": [owner_ref(d)]},
              "spec": {"replicas": 0, "minReadySeconds": d["spec"].get("minReadySeconds", 0),
                       "selector": selector, "template": template}}
        if not rs["spec"]["minReadySeconds"]:
            rs["spec"].pop("minReadySeconds")
        created = s.create("replicasets", rs, d["metadata"]["namespace"])
        dd = s.get("deployments", d["metadata"]["namespace"], d["metadata"]["name"])
        if ((dd["metadata"].get("annotations") or {}).get(REVISION)) != str(revision):
            dd["metadata"].setdefault("annotations", {})[REVISION] = str(revision)
            s.replace("deployments", dd, d["metadata"]["namespace"], d["metadata"]["name"])
        return self._scale(d, created, initial) if initial else created

    def _rolling(self, d: dict[str, Any], new_rs: dict[str, Any], old_rs: list[dict[str, Any]], replicas: int,
                 surge: int, unavailable: int) -> dict[str, Any]:
        s = self.store
        # scale up the new replica set within maxSurge
        total = sum(int(rs["spec"].get("replicas", 0)) for rs in old_rs) + int(new_rs["spec"].get("replicas", 0))
        new_count = int(new_rs["spec"].get("replicas", 0))
        if new_count > replicas:
            new_rs = self._scale(d, new_rs, replicas)
        elif new_count < replicas:
            room = replicas + surge - total
            if room > 0:
                new_rs = self._scale(d, new_rs, min(replicas, new_count + room))
        # scale down old replica sets, keeping at least replicas - maxUnavailable available
        new_rs = s.get("replicasets", new_rs["metadata"]["namespace"], new_rs["metadata"]["name"])
        old_rs = [s.get("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"]) for rs in old_rs]
        min_available = replicas - unavailable
        all_count = sum(int(rs["spec"].get("replicas", 0)) for rs in old_rs + [new_rs])
        new_unavailable = int(new_rs["spec"].get("replicas", 0)) - int((new_rs.get("status") or {}).get(
            "availableReplicas", 0))
        budget = all_count - min_available - max(0, new_unavailable)
        # first remove old pods that are not available anyway
        for rs in sorted(old_rs, key=lambda r: r["metadata"]["creationTimestamp"]):
            if budget <= 0:
                break
            unhealthy = int(rs["spec"].get("replicas", 0)) - int((rs.get("status") or {}).get("availableReplicas", 0))
            cut = min(budget, max(0, unhealthy))
            if cut:
                self._scale(d, rs, int(rs["spec"]["replicas"]) - cut)
                budget -= cut
        old_rs = [s.get("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"]) for rs in old_rs]
        available = sum(int((rs.get("status") or {}).get("availableReplicas", 0)) for rs in old_rs + [new_rs])
        budget = available - min_available
        for rs in sorted(old_rs, key=lambda r: r["metadata"]["creationTimestamp"]):
            if budget <= 0:
                break
            cut = min(budget, int(rs["spec"].get("replicas", 0)))
            if cut:
                self._scale(d, rs, int(rs["spec"]["replicas"]) - cut)
                budget -= cut
        return new_rs

    def _cleanup(self, d: dict[str, Any], new_rs: dict[str, Any]) -> None:
        limit = int(d["spec"].get("revisionHistoryLimit", 10))
        old = [rs for rs in self._replicasets_of(d) if rs["metadata"]["uid"] != new_rs["metadata"]["uid"]
               and int(rs["spec"].get("replicas", 0)) == 0 and not (rs.get("status") or {}).get("replicas")]
        old.sort(key=self._revision)
        for rs in old[:max(0, len(old) - limit)]:
            self.store.delete("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"])

    def _condition(self, previous: list[dict[str, Any]], type_: str, status: str, reason: str,
                   message: str) -> dict[str, Any]:
        now = self.store.now()
        old = next((c for c in previous if c.get("type") == type_), None)
        cond = {"type": type_, "status": status, "lastUpdateTime": now, "lastTransitionTime": now,
                "reason": reason, "message": message}
        if old is not None:
            if old.get("status") == status:
                cond["lastTransitionTime"] = old.get("lastTransitionTime", now)
                if old.get("reason") == reason and old.get("message") == message:
                    cond["lastUpdateTime"] = old.get("lastUpdateTime", now)
        return cond

    def _update_status(self, d: dict[str, Any], new_rs: dict[str, Any] | None, all_rs: list[dict[str, Any]],
                       created_now: bool) -> None:
        s = self.store
        d = s.get("deployments", d["metadata"]["namespace"], d["metadata"]["name"])
        replicas = int(d["spec"].get("replicas", 1))
        _, unavailable = defaults.surge_and_unavailable(d)
        st = lambda rs, k: int((rs.get("status") or {}).get(k, 0))  # noqa: E731
        total = sum(st(rs, "replicas") for rs in all_rs)
        updated = st(new_rs, "replicas") if new_rs else 0
        ready = sum(st(rs, "readyReplicas") for rs in all_rs)
        available = sum(st(rs, "availableReplicas") for rs in all_rs)
        previous = (d.get("status") or {}).get("conditions") or []
        conditions = []
        if available >= replicas - unavailable:
            conditions.append(self._condition(previous, "Available", "True", "MinimumReplicasAvailable",
                                              "Deployment has minimum availability."))
        else:
            conditions.append(self._condition(previous, "Available", "False", "MinimumReplicasUnavailable",
                                              "Deployment does not have minimum availability."))
        if new_rs is not None:
            rs_name = new_rs["metadata"]["name"]
            complete = updated == replicas and available == replicas and total == replicas \
                and int(new_rs["spec"].get("replicas", 0)) == replicas
            if complete:
                conditions.append(self._condition(previous, "Progressing", "True", "NewReplicaSetAvailable",
                                                  f'ReplicaSet "{rs_name}" has successfully progressed.'))
            elif created_now:
                conditions.append(self._condition(previous, "Progressing", "True", "NewReplicaSetCreated",
                                                  f'Created new replica set "{rs_name}"'))
            else:
                conditions.append(self._condition(previous, "Progressing", "True", "ReplicaSetUpdated",
                                                  f'ReplicaSet "{rs_name}" is progressing.'))
        status: dict[str, Any] = {"observedGeneration": d["metadata"].get("generation", 1), "replicas": total,
                                  "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": available,
                                  "unavailableReplicas": max(0, replicas - available), "conditions": conditions}
        if (d.get("status") or {}).get("collisionCount"):
            status["collisionCount"] = d["status"]["collisionCount"]
        status = {k: v for k, v in status.items() if v or k == "observedGeneration"}
        if status != d.get("status"):
            s.update_status("deployments", d["metadata"]["namespace"], d["metadata"]["name"], status)

    # -- services ------------------------------------------------------------------------
    def sync_load_balancer(self, namespace: str, name: str) -> None:
        s = self.store
        svc = s.find("services", namespace, name)
        if svc is None:
            return
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress")
        if (svc.get("spec") or {}).get("type") != "LoadBalancer":
            if ingress:  # no longer a load balancer: the cloud side is torn down
                status = copy.deepcopy(svc.get("status") or {})
                status["loadBalancer"] = {}
                svc = s.update_status("services", namespace, name, status)
                s.record_event(svc, "DeletedLoadBalancer", "Deleted load balancer",
                               source_component="service-controller")
            return
        if ingress:
            return
        digest = hashlib.sha256(f"{s.cluster_key}/{namespace}/{name}".encode()).digest()
        ip = f"20.{digest[0] % 200 + 20}.{digest[1]}.{digest[2] % 253 + 1}"
        s.record_event(svc, "EnsuringLoadBalancer", "Ensuring load balancer", source_component="service-controller")
        status = copy.deepcopy(svc.get("status") or {})
        status["loadBalancer"] = {"ingress": [{"ip": ip, "ipMode": "VIP"}]}
        svc = s.update_status("services", namespace, name, status)
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
        for pod in s.list("pods", namespace)[0]:
            labels = (pod.get("metadata") or {}).get("labels") or {}
            ip = (pod.get("status") or {}).get("podIP")
            if _terminating(pod) or not ip or any(labels.get(k) != v for k, v in selector.items()):
                continue
            addr = {"ip": ip, "nodeName": (pod.get("spec") or {}).get("nodeName"),
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
            s.create("endpoints", body, namespace)
        elif current.get("subsets") != body.get("subsets"):
            current["subsets"] = subsets
            if not subsets:
                current.pop("subsets", None)
            s.replace("endpoints", current, namespace, name)

    def _sync_slice(self, svc: dict[str, Any], ready: list[dict[str, Any]], not_ready: list[dict[str, Any]],
                    ports: list[dict[str, Any]]) -> None:
        """The service's EndpointSlice (`<service>-<5 chars>`), as kubectl describe reads it."""
        s, namespace, name = self.store, svc["metadata"]["namespace"], svc["metadata"]["name"]
        endpoints = []
        for addr, is_ready in [(a, True) for a in ready] + [(a, False) for a in not_ready]:
            endpoints.append({"addresses": [addr["ip"]], "conditions": {"ready": is_ready, "serving": is_ready,
                                                                         "terminating": False},
                              "nodeName": addr.get("nodeName"), "targetRef": addr["targetRef"]})
        body: dict[str, Any] = {
            "metadata": {"generateName": f"{name}-", "labels": {
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                "kubernetes.io/service-name": name}, "ownerReferences": [owner_ref(svc)]},
            "addressType": "IPv4", "endpoints": endpoints or None, "ports": ports or None}
        existing = self._slice_of(namespace, name)
        if existing is None:
            s.create("endpointslices", body, namespace)
        elif (existing.get("endpoints"), existing.get("ports")) != (body["endpoints"], body["ports"]):
            existing["endpoints"], existing["ports"] = body["endpoints"], body["ports"]
            s.replace("endpointslices", existing, namespace, existing["metadata"]["name"])

    def _slice_of(self, namespace: str, service: str) -> dict[str, Any] | None:
        return next((e for e in self.store.list("endpointslices", namespace)[0]
                     if (e["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == service), None)

    def drop_endpoints(self, namespace: str, name: str) -> None:
        if self.store.find("endpoints", namespace, name) is not None:
            self.store.delete("endpoints", namespace, name)
