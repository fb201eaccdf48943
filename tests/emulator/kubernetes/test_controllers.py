"""The controllers and the store's rules, without HTTP: a cluster store with no kubelet attached
(pods stay Pending until their status says Ready), driven through the store's own API."""
from __future__ import annotations

import copy
import json
import re

import pytest

from keyless_emulator.kubernetes import errors
from keyless_emulator.kubernetes.controllers import ControllerManager
from keyless_emulator.kubernetes.store import ClusterStore

NS = "default"


@pytest.fixture
def bare(section, store):
    """A store of the seeded cluster's key, with controllers but no kubelet (not registered)."""
    s = ClusterStore(section, store.cluster_key)
    s.controllers = ControllerManager(s)
    s.controllers.bootstrap_cluster()
    return s


class _Recorder:
    """A stand-in node: records what the store tells it of each commit."""

    def __init__(self, record):
        self.observe = record


def _deployment(name: str = "web", image: str = "example/web:1", sa: str = "default", replicas: int = 1) -> dict:
    return {"metadata": {"name": name}, "spec": {
        "replicas": replicas, "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": {
            "serviceAccountName": sa, "containers": [{"name": "app", "image": image}]}}}}


def _make_ready(s: ClusterStore, pod: dict) -> None:
    status = copy.deepcopy(pod.get("status") or {})
    status["phase"] = "Running"
    status["conditions"] = [{"type": "Ready", "status": "True"}]
    s.update_status("pods", NS, pod["metadata"]["name"], status)


def _pods(s: ClusterStore, app: str) -> list[dict]:
    return s.list("pods", NS, lambda p: p["metadata"].get("labels", {}).get("app") == app)[0]


def _events(s: ClusterStore, name: str) -> list[tuple[str, str, str]]:
    return [(e["type"], e["reason"], e["message"]) for e in s.list("events", NS)[0]
            if e["involvedObject"]["name"] == name]


def test_deployment_makes_a_replicaset_and_a_scheduled_pending_pod(bare):
    bare.create("deployments", _deployment(), NS)
    (rs,) = bare.list("replicasets", NS, lambda r: r["metadata"]["name"].startswith("web-"))[0]
    h = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{h}" and re.fullmatch(r"[bcdfghjklmnpqrstvwxz2456789]{6,10}", h)
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": h}
    assert rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
    (pod,) = _pods(bare, "web")
    assert re.fullmatch(rf"web-{h}-[bcdfghjklmnpqrstvwxz2456789]{{5}}", pod["metadata"]["name"])
    assert pod["status"]["phase"] == "Pending"
    assert re.fullmatch(r"aks-nodepool1-\d{8}-vmss000000", pod["spec"]["nodeName"])
    assert ("Normal", "Scheduled", f"Successfully assigned default/{pod['metadata']['name']} to "
                                   f"{pod['spec']['nodeName']}") in _events(bare, pod["metadata"]["name"])
    assert ("Normal", "ScalingReplicaSet", f"Scaled up replica set web-{h} from 0 to 1") in _events(bare, "web")


def test_rolling_update_removes_the_old_pod_only_after_the_new_one_is_ready(bare):
    bare.create("deployments", _deployment(), NS)
    (old_pod,) = _pods(bare, "web")
    _make_ready(bare, old_pod)
    d = bare.get("deployments", NS, "web")
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "example/web:2"
    bare.replace("deployments", d, NS, "web")
    pods = _pods(bare, "web")
    assert len(pods) == 2, "maxSurge lets the new pod start beside the old one"
    new_pod = next(p for p in pods if p["metadata"]["name"] != old_pod["metadata"]["name"])
    status = bare.get("deployments", NS, "web")["status"]
    assert status["updatedReplicas"] == 1 and status["replicas"] == 2
    progressing = next(c for c in status["conditions"] if c["type"] == "Progressing")
    assert progressing["reason"] == "ReplicaSetUpdated"
    _make_ready(bare, new_pod)
    assert [p["metadata"]["name"] for p in _pods(bare, "web")] == [new_pod["metadata"]["name"]]
    d = bare.get("deployments", NS, "web")
    assert d["metadata"]["generation"] == 2 and d["status"]["observedGeneration"] == 2
    assert {k: d["status"][k] for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")} == \
        {"replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1}
    conditions = {c["type"]: (c["status"], c["reason"]) for c in d["status"]["conditions"]}
    assert conditions == {"Available": ("True", "MinimumReplicasAvailable"),
                          "Progressing": ("True", "NewReplicaSetAvailable")}
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"


def test_a_pod_whose_service_account_is_missing_is_refused_with_a_failed_create_event(bare):
    bare.create("deployments", _deployment(sa="ai-service-account"), NS)
    assert _pods(bare, "web") == []
    (rs,) = [r for r in bare.list("replicasets", NS)[0] if r["metadata"]["name"].startswith("web-")]
    name = rs["metadata"]["name"]
    assert ("Warning", "FailedCreate", f'Error creating: pods "{name}-" is forbidden: error looking up service '
                                       f'account default/ai-service-account: serviceaccount "ai-service-account" '
                                       f"not found") in _events(bare, name)
    bare.create("serviceaccounts", {"metadata": {"name": "ai-service-account"}}, NS)
    assert len(_pods(bare, "web")) == 1, "the replica set retries once the account exists"


def test_direct_pod_create_without_its_service_account_is_403(bare):
    with pytest.raises(errors.KubeError) as e:
        bare.create("pods", {"metadata": {"name": "p"}, "spec": {"serviceAccountName": "nope",
                                                                 "containers": [{"name": "a", "image": "x"}]}}, NS)
    assert e.value.status == 403 and e.value.reason == "Forbidden"
    assert e.value.message == ('pods "p" is forbidden: error looking up service account default/nope: '
                               'serviceaccount "nope" not found')


def test_background_delete_collects_replicasets_and_pods(bare):
    bare.create("deployments", _deployment(), NS)
    bare.delete("deployments", NS, "web", propagation="Background")
    assert [r for r in bare.list("replicasets", NS)[0] if r["metadata"]["name"].startswith("web-")] == []
    assert _pods(bare, "web") == []


def test_orphan_delete_keeps_the_replicaset_without_its_owner(bare):
    bare.create("deployments", _deployment(), NS)
    bare.delete("deployments", NS, "web", propagation="Orphan")
    (rs,) = [r for r in bare.list("replicasets", NS)[0] if r["metadata"]["name"].startswith("web-")]
    assert "ownerReferences" not in rs["metadata"]
    assert len(_pods(bare, "web")) == 1


def test_foreground_delete_removes_dependents_then_the_owner(bare):
    bare.create("deployments", _deployment(), NS)
    out = bare.delete("deployments", NS, "web", propagation="Foreground")
    assert "foregroundDeletion" in out["metadata"]["finalizers"] and out["metadata"]["deletionTimestamp"]
    assert bare.find("deployments", NS, "web") is None
    assert _pods(bare, "web") == []


def test_scaling_the_replicaset_down_deletes_pods(bare):
    bare.create("deployments", _deployment(replicas=3), NS)
    assert len(_pods(bare, "web")) == 3
    d = bare.get("deployments", NS, "web")
    d["spec"]["replicas"] = 1
    bare.replace("deployments", d, NS, "web")
    assert len(_pods(bare, "web")) == 1


def test_a_new_namespace_gets_its_default_account_and_root_ca(bare, fresh):
    bare.create("namespaces", {"metadata": {"name": "team"}})
    assert bare.find("serviceaccounts", "team", "default") is not None
    ca = bare.get("configmaps", "team", "kube-root-ca.crt")
    assert ca["data"]["ca.crt"] == fresh.backend.tls.ca_cert.read_text()
    ns = bare.get("namespaces", None, "team")
    assert ns["status"]["phase"] == "Active" and ns["spec"]["finalizers"] == ["kubernetes"]
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team"}


def test_deleting_a_namespace_is_terminating_then_gone_with_its_content(bare):
    bare.create("namespaces", {"metadata": {"name": "team"}})
    bare.create("configmaps", {"metadata": {"name": "c"}}, "team")
    seen: list[tuple[str, str, str]] = []
    bare.node = _Recorder(lambda t, r, o: seen.append((t, r, (o.get("status") or {}).get("phase", ""))))
    out = bare.delete("namespaces", None, "team")
    assert out["status"]["phase"] == "Terminating" and out["metadata"]["deletionTimestamp"]
    assert ("MODIFIED", "namespaces", "Terminating") in seen and seen[-1][:2] == ("DELETED", "namespaces")
    assert bare.find("namespaces", None, "team") is None and bare.find("configmaps", "team", "c") is None


def test_default_namespace_cannot_be_deleted(bare):
    with pytest.raises(errors.KubeError) as e:
        bare.delete("namespaces", None, "default")
    assert e.value.status == 403
    assert e.value.message == 'namespaces "default" is forbidden: this namespace may not be deleted'


def test_content_cannot_be_created_in_a_terminating_namespace(bare):
    bare.create("namespaces", {"metadata": {"name": "t"}, "spec": {"finalizers": ["kubernetes"]}})
    ns = bare.get("namespaces", None, "t")
    ns["metadata"]["finalizers"] = ["example.com/hold"]
    bare.replace("namespaces", ns, None, "t")
    bare.delete("namespaces", None, "t")
    # the namespace controller empties it at once; what remains is the finalizer-held namespace
    if bare.find("namespaces", None, "t") is not None:
        with pytest.raises(errors.KubeError) as e:
            bare.create("configmaps", {"metadata": {"name": "c"}}, "t")
        assert e.value.status == 403 and "because it is being terminated" in e.value.message


def test_record_event_counts_repeats(bare):
    sa = bare.get("serviceaccounts", NS, "default")
    bare.record_event(sa, "Tested", "once", source_component="test")
    ev = bare.record_event(sa, "Tested", "once", source_component="test")
    assert ev["count"] == 2 and ev["involvedObject"]["kind"] == "ServiceAccount"
    assert ev["source"] == {"component": "test"} and ev["metadata"]["name"].startswith("default.")


def test_admission_plugins_mutate_and_deny_pod_creates(bare, section, monkeypatch):
    def label(request):
        pod = copy.deepcopy(request.object)
        pod["metadata"].setdefault("labels", {})["admitted"] = request.cluster.cluster_key
        return pod

    class Denied(Exception):
        api_message = 'admission webhook "test.example.com" denied the request: no'
        status = 400

    def deny(request):
        if request.object["metadata"].get("labels", {}).get("deny") == "yes":
            raise Denied()
        return request.object

    monkeypatch.setattr(section, "admission_plugins", [label, deny])
    pod = bare.create("pods", {"metadata": {"name": "ok"}, "spec": {"containers": [{"name": "a", "image": "x"}]}}, NS)
    assert pod["metadata"]["labels"]["admitted"] == bare.cluster_key
    assert pod["spec"]["serviceAccountName"] == "default"
    assert any(v["name"].startswith("kube-api-access-") for v in pod["spec"]["volumes"])
    with pytest.raises(errors.KubeError) as e:
        bare.create("pods", {"metadata": {"name": "no", "labels": {"deny": "yes"}},
                             "spec": {"containers": [{"name": "a", "image": "x"}]}}, NS)
    assert e.value.status == 400 and e.value.message == 'admission webhook "test.example.com" denied the request: no'


def test_workload_identity_webhook_mutates_labelled_pods_when_enabled(bare, fresh, cluster):
    doc = fresh.backend.state.resources.get(cluster["id"])
    doc["properties"].setdefault("securityProfile", {})["workloadIdentity"] = {"enabled": True}
    fresh.backend.state.resources.put(doc)
    bare.create("serviceaccounts", {"metadata": {"name": "wi", "annotations": {
        "azure.workload.identity/client-id": "cid"}}}, NS)
    pod = bare.create("pods", {"metadata": {"name": "wi-pod", "labels": {"azure.workload.identity/use": "true"}},
                               "spec": {"serviceAccountName": "wi", "containers": [{"name": "a", "image": "x"}]}}, NS)
    env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert env["AZURE_CLIENT_ID"] == "cid"
    assert env["AZURE_FEDERATED_TOKEN_FILE"] == "/var/run/secrets/azure/tokens/azure-identity-token"


def test_the_node_is_told_each_commit_after_it_happens(bare):
    seen: list[tuple[str, str, str]] = []
    bare.node = _Recorder(lambda t, r, o: seen.append((t, r, o["metadata"]["resourceVersion"])))
    cm = bare.create("configmaps", {"metadata": {"name": "l"}}, NS)
    bare.delete("configmaps", NS, "l")
    assert seen[0] == ("ADDED", "configmaps", cm["metadata"]["resourceVersion"])
    assert seen[1][:2] == ("DELETED", "configmaps") and int(seen[1][2]) > int(seen[0][2])


def _bootstrap_objects(section) -> list[dict]:
    data = section.snapshot()
    (key,) = data["clusters"]
    return [o for o in data["clusters"][key]["objects"]
            if o["resource"] in ("namespaces", "serviceaccounts", "configmaps", "nodes")
            or o["object"]["metadata"]["name"] in ("kubernetes", "kube-dns")]


def test_cluster_bootstrap_is_identical_after_every_reset_with_frozen_timestamps(clients, section):
    first = _bootstrap_objects(section)
    assert clients.control.reset("before-you-begin")["status"] == "reset"
    assert _bootstrap_objects(section) == first
    assert first and all(o["object"]["metadata"]["creationTimestamp"] == "2026-01-01T09:00:00Z" for o in first)
    keys = [(o["resource"], o["object"]["metadata"].get("namespace", ""), o["object"]["metadata"]["name"])
            for o in first]
    assert keys == sorted(keys)


def test_a_store_dump_restores_exactly(bare, section):
    bare.create("deployments", _deployment(), NS)
    dumped = bare.dump()
    again = ClusterStore(section, bare.cluster_key)
    again.load(json.loads(json.dumps(dumped)))
    assert again.dump() == dumped and again.resource_version == bare.resource_version


def test_a_deleted_cluster_drops_its_store(fresh, section, cluster):
    key = section.store_for(cluster).cluster_key
    fresh.backend.state.delete_resource(cluster["id"])
    assert key not in section.stores and section.store(key) is None


def test_snapshots_hold_placeholders_for_the_emulators_url_and_ca(bare, section, fresh):
    bare.create("configmaps", {"metadata": {"name": "where"}, "data": {"url": fresh.backend.base_url + "/aoai/x/"}}, NS)
    dumped = bare.dump()
    text = json.dumps(dumped)
    assert fresh.backend.base_url not in text and "BEGIN CERTIFICATE" not in text
    where = next(o["object"] for o in dumped["objects"] if o["object"]["metadata"]["name"] == "where")
    assert where["data"]["url"] == "{{emulator-url}}/aoai/x/"
    again = ClusterStore(section, bare.cluster_key)
    again.load(dumped)
    assert again.get("configmaps", NS, "where")["data"]["url"] == fresh.backend.base_url + "/aoai/x/"
    assert again.get("configmaps", NS, "kube-root-ca.crt")["data"]["ca.crt"] == fresh.backend.tls.ca_cert.read_text()


def test_pod_spec_updates_other_than_images_are_forbidden(bare):
    bare.create("pods", {"metadata": {"name": "fixed"}, "spec": {"containers": [{"name": "a", "image": "x:1"}]}}, NS)
    pod = bare.get("pods", NS, "fixed")
    pod["spec"]["containers"][0]["image"] = "x:2"
    assert bare.replace("pods", pod, NS, "fixed")["spec"]["containers"][0]["image"] == "x:2"
    pod = bare.get("pods", NS, "fixed")
    pod["spec"]["containers"][0]["env"] = [{"name": "A", "value": "1"}]
    with pytest.raises(errors.KubeError) as e:
        bare.replace("pods", pod, NS, "fixed")
    assert e.value.status == 422
    assert e.value.message.startswith('Pod "fixed" is invalid: spec: Forbidden: pod updates may not change fields '
                                      "other than `spec.containers[*].image`")


def test_a_watch_from_a_resource_version_older_than_the_history_gets_410(section, store, monkeypatch):
    import asyncio

    from keyless_emulator.kubernetes import kinds, watch

    monkeypatch.setattr(section, "watch_history", 3)
    small = ClusterStore(section, store.cluster_key)
    small.controllers = ControllerManager(small)
    small.controllers.bootstrap_cluster()
    first = small.resource_version

    async def collect():
        return [json.loads(line) async for line in watch.stream(
            small, kinds.by_resource("configmaps"), namespace=NS, predicate=lambda o: True,
            resource_version=1, timeout=0.2, bookmarks=False, bookmark_interval=60, transform=lambda o, f: o)]

    events = asyncio.run(collect())
    assert first > 4
    assert events == [{"type": "ERROR", "object": {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f"too old resource version: 1 ({small.oldest_watchable()})", "reason": "Expired", "code": 410}}]


def test_events_are_capped_keeping_the_newest(bare, monkeypatch):
    from keyless_emulator.kubernetes import events as events_module

    monkeypatch.setattr(events_module, "MAX_EVENTS", 5)
    sa = bare.get("serviceaccounts", NS, "default")
    for i in range(8):
        bare.record_event(sa, "Tested", f"event {i}", source_component="test")
    messages = sorted(e["message"] for e in bare.list("events", NS)[0])
    assert len(bare.list("events")[0]) == 5 and "event 7" in messages and "event 0" not in messages


def test_a_pod_whose_node_selector_matches_no_node_stays_pending(bare):
    pod = bare.create("pods", {"metadata": {"name": "picky"}, "spec": {
        "nodeSelector": {"kubernetes.io/os": "windows"}, "containers": [{"name": "a", "image": "x"}]}}, NS)
    pod = bare.get("pods", NS, "picky")
    assert "nodeName" not in pod["spec"] and pod["status"]["phase"] == "Pending"
    (cond,) = [c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled"]
    assert (cond["status"], cond["reason"]) == ("False", "Unschedulable")
    (event,) = [e for e in _events(bare, "picky") if e[1] == "FailedScheduling"]
    assert event[0] == "Warning" and event[2].startswith("0/1 nodes are available: 1 node(s) didn't match Pod's node")


def test_objects_added_by_admission_webhooks_are_defaulted_and_the_pod_still_schedules(bare, section, monkeypatch):
    def add_projected_volume(request):
        pod = copy.deepcopy(request.object)
        pod["spec"].setdefault("volumes", []).append({"name": "tok", "projected": {"sources": []}})
        return pod

    monkeypatch.setattr(section, "admission_plugins", [add_projected_volume])
    bare.create("pods", {"metadata": {"name": "mutated"}, "spec": {"containers": [{"name": "a", "image": "x"}]}}, NS)
    pod = bare.get("pods", NS, "mutated")
    assert next(v for v in pod["spec"]["volumes"] if v["name"] == "tok")["projected"]["defaultMode"] == 420
    assert pod["spec"]["nodeName"], "the scheduler could bind it"


def test_a_load_balancer_turned_cluster_ip_loses_its_node_port_and_address(bare):
    bare.create("services", {"metadata": {"name": "front"}, "spec": {"type": "LoadBalancer", "selector": {"app": "f"},
                                                                     "ports": [{"port": 80, "targetPort": 8080}]}}, NS)
    svc = bare.get("services", NS, "front")
    assert svc["spec"]["ports"][0]["nodePort"] and svc["status"]["loadBalancer"]["ingress"]
    svc, _ = bare.patch("services", NS, "front", "application/strategic-merge-patch+json",
                        {"spec": {"type": "ClusterIP"}})
    svc = bare.get("services", NS, "front")
    assert "nodePort" not in svc["spec"]["ports"][0] and "externalTrafficPolicy" not in svc["spec"]
    assert svc["status"]["loadBalancer"] == {}
    assert ("Normal", "DeletedLoadBalancer", "Deleted load balancer") in _events(bare, "front")


def _with_key(d: dict, key: str) -> dict:
    d["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "OPENAI_API_KEY", "value": key}]
    return d


def test_a_template_hash_collision_bumps_collision_count_and_the_rollout_goes_on(bare, monkeypatch):
    """Templates are hashed in their placeholder form, where the account's current key reads as one
    placeholder: a Deployment put back with a regenerated key hashes to the name of the ReplicaSet that held
    the old key. As kube-controller-manager does, the collision is resolved with status.collisionCount."""
    key = {"value": "old-key"}
    monkeypatch.setattr(bare, "installation_values", lambda: [(key["value"], "{{account-key}}")])
    bare.create("deployments", _with_key(_deployment(), "old-key"), NS)
    (first,) = _pods(bare, "web")
    _make_ready(bare, first)
    (old_rs,) = bare.list("replicasets", NS, lambda r: r["metadata"]["name"].startswith("web-"))[0]
    key["value"] = "new-key"  # the account's keys regenerated
    d = bare.get("deployments", NS, "web")
    bare.replace("deployments", _with_key(d, "new-key"), NS, "web")
    d = bare.get("deployments", NS, "web")
    assert d["status"]["collisionCount"] == 1
    assert d["metadata"]["generation"] == 2 and d["status"]["observedGeneration"] == 2
    (new_rs,) = bare.list("replicasets", NS, lambda r: r["metadata"]["name"].startswith("web-")
                          and r["metadata"]["uid"] != old_rs["metadata"]["uid"])[0]
    assert new_rs["metadata"]["name"] != old_rs["metadata"]["name"]
    assert new_rs["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == "new-key"
    (second,) = [p for p in _pods(bare, "web") if p["metadata"]["name"] != first["metadata"]["name"]]
    _make_ready(bare, second)
    d = bare.get("deployments", NS, "web")
    assert [p["metadata"]["name"] for p in _pods(bare, "web")] == [second["metadata"]["name"]]
    assert (d["status"]["updatedReplicas"], d["status"]["availableReplicas"]) == (1, 1)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
