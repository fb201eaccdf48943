"""The kubernetes python client (37.0.2) against a cluster's API server: authentication, CRUD,
selectors, the three patch types, watch, logs, and every error in its exact Status shape."""
from __future__ import annotations

import json
import time

import pytest
import requests
from kit import wait_for
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from keyless_emulator import clusters

NS = "default"


def _status(e: ApiException) -> dict:
    return json.loads(e.body)


def _raw(server: str, token: str | None, verify: str, method: str, path: str, **kw) -> requests.Response:
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, server + path, headers=headers, verify=verify, **kw)


def _configmap(name: str, labels: dict | None = None) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data={"k": "v"})


# -- authentication -----------------------------------------------------------------------
def test_no_token_is_401_status(server, fresh):
    r = _raw(server, None, fresh.info.ca_cert, "GET", "/api/v1/namespaces")
    assert r.status_code == 401
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": "Unauthorized", "reason": "Unauthorized", "code": 401}


def test_another_clusters_token_is_401(server, fresh, clients):
    clients.control.add_tenant("fabrikam")
    docs = fresh.backend.state.resources.of_type(clusters.CLUSTER_TYPE)
    assert len(docs) == 2
    other = next(d for d in docs if clusters.api_server_url(fresh.backend, d) != server)
    other_token = clusters.user_token(fresh.backend, other)
    r = _raw(server, other_token, fresh.info.ca_cert, "GET", "/api/v1/namespaces/default/pods")
    assert r.status_code == 401 and r.json()["reason"] == "Unauthorized"
    own = _raw(clusters.api_server_url(fresh.backend, other), other_token, fresh.info.ca_cert, "GET",
               "/api/v1/namespaces/default/serviceaccounts/default")
    assert own.status_code == 200 and own.json()["metadata"]["name"] == "default"


def test_unknown_cluster_is_404(fresh, token):
    r = _raw(fresh.info.url + "/k8s/0000000000000000", token, fresh.info.ca_cert, "GET", "/api/v1/namespaces")
    assert r.status_code == 404 and r.json()["reason"] == "NotFound"


def test_version_is_1_32(api):
    info = client.VersionApi(api).get_code()
    assert info.git_version == "v1.32.6" and info.major == "1" and info.minor == "32"


def test_the_node_reads_with_the_client_and_carries_what_its_kubelet_reports(core):
    """The client validates a Node's nodeInfo: bootID, machineID and systemUUID are required, as a kubelet sets them."""
    nodes = core.list_node().items
    assert len(nodes) == 1
    info = nodes[0].status.node_info
    assert (info.operating_system, info.architecture) == ("linux", "amd64")
    assert len(info.machine_id) == 32 and int(info.machine_id, 16) >= 0
    assert len({info.boot_id, info.system_uuid, info.machine_id}) == 3


def test_service_account_token_authenticates_in_cluster_callers(core, server, fresh):
    tr = core.create_namespaced_service_account_token("default", NS, client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)))
    # authenticated: the API server knows who it is (RBAC then decides; tests/emulator/kubernetes/test_rbac.py)
    who = _raw(server, tr.status.token, fresh.info.ca_cert, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
               json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    assert who.status_code == 201
    assert who.json()["status"]["userInfo"]["username"] == f"system:serviceaccount:{NS}:default"
    wi = core.create_namespaced_service_account_token("default", NS, client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=["api://AzureADTokenExchange"])))
    refused = _raw(server, wi.status.token, fresh.info.ca_cert, "GET", "/api/v1/namespaces/default/configmaps")
    assert refused.status_code == 401


# -- create / read / errors ---------------------------------------------------------------
def test_create_without_kind_or_content_type_fills_them_from_the_url(core):
    sa = core.create_namespaced_service_account(NS, client.V1ServiceAccount(
        metadata=client.V1ObjectMeta(name="wi-sa", annotations={"azure.workload.identity/client-id": "abc"})))
    assert sa.kind == "ServiceAccount" and sa.api_version == "v1"
    assert sa.metadata.uid and sa.metadata.resource_version and sa.metadata.creation_timestamp
    got = core.read_namespaced_service_account("wi-sa", NS)
    assert got.metadata.annotations["azure.workload.identity/client-id"] == "abc"


def test_read_missing_is_404_not_found_status(core):
    with pytest.raises(ApiException) as e:
        core.read_namespaced_service_account("nope", NS)
    assert e.value.status == 404
    assert _status(e.value) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": 'serviceaccounts "nope" not found', "reason": "NotFound",
                                "details": {"name": "nope", "kind": "serviceaccounts"}, "code": 404}


def test_read_missing_deployment_names_the_group(apps):
    with pytest.raises(ApiException) as e:
        apps.read_namespaced_deployment("nope", NS)
    assert _status(e.value)["message"] == 'deployments.apps "nope" not found'
    assert _status(e.value)["details"] == {"name": "nope", "group": "apps", "kind": "deployments"}


def test_create_twice_is_409_already_exists(core):
    core.create_namespaced_config_map(NS, _configmap("twice"))
    with pytest.raises(ApiException) as e:
        core.create_namespaced_config_map(NS, _configmap("twice"))
    assert e.value.status == 409
    assert _status(e.value)["reason"] == "AlreadyExists"
    assert _status(e.value)["message"] == 'configmaps "twice" already exists'


def test_replace_with_a_stale_resource_version_is_409_conflict(core):
    cm = core.create_namespaced_config_map(NS, _configmap("stale"))
    cm.data = {"k": "2"}
    core.replace_namespaced_config_map("stale", NS, cm)
    cm.data = {"k": "3"}
    with pytest.raises(ApiException) as e:
        core.replace_namespaced_config_map("stale", NS, cm)
    assert e.value.status == 409 and _status(e.value)["reason"] == "Conflict"
    assert _status(e.value)["message"] == ('Operation cannot be fulfilled on configmaps "stale": the object has been '
                                           'modified; please apply your changes to the latest version and try again')


def test_invalid_name_is_422_with_causes(core):
    with pytest.raises(ApiException) as e:
        core.create_namespaced_config_map(NS, _configmap("Bad_Name"))
    status = _status(e.value)
    assert e.value.status == 422 and status["reason"] == "Invalid"
    assert status["message"].startswith('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": '
                                        "a lowercase RFC 1123 subdomain must consist of")
    assert status["details"]["causes"][0]["field"] == "metadata.name"
    assert status["details"]["causes"][0]["reason"] == "FieldValueInvalid"


def test_deployment_without_selector_or_image_is_422_listing_every_cause(server, token, fresh):
    body = {"metadata": {"name": "broken"}, "spec": {"template": {"metadata": {"labels": {"app": "x"}},
                                                                  "spec": {"containers": [{"name": "app"}]}}}}
    r = _raw(server, token, fresh.info.ca_cert, "POST", "/apis/apps/v1/namespaces/default/deployments", json=body)
    status = r.json()
    assert r.status_code == 422
    fields = [c["field"] for c in status["details"]["causes"]]
    assert fields == ["spec.selector", "spec.template.spec.containers[0].image"]
    assert status["message"] == ('Deployment.apps "broken" is invalid: [spec.selector: Required value, '
                                 'spec.template.spec.containers[0].image: Required value]')
    assert status["details"]["group"] == "apps" and status["details"]["kind"] == "Deployment"


def test_strict_field_validation_refuses_an_unknown_field_with_400(server, token, fresh):
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "strict"}, "data": {}, "datta": {}}
    r = _raw(server, token, fresh.info.ca_cert, "POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
             json=body)
    assert r.status_code == 400 and r.json()["reason"] == "BadRequest"
    assert r.json()["message"] == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding '
                                   'error: unknown field "datta"')


def test_warn_field_validation_drops_the_unknown_field_with_a_warning(server, token, fresh):
    body = {"metadata": {"name": "warned"}, "datta": {}}
    r = _raw(server, token, fresh.info.ca_cert, "POST", "/api/v1/namespaces/default/configmaps", json=body)
    assert r.status_code == 201
    assert r.headers["Warning"] == '299 - "unknown field \\"datta\\""'
    assert "datta" not in r.json()


def test_wrong_value_type_is_400_naming_the_go_field(server, token, fresh):
    body = {"metadata": {"name": "typed"}, "spec": {"containers": [{"name": "a", "image": "x",
                                                                    "env": [{"name": "A", "value": True}]}]}}
    r = _raw(server, token, fresh.info.ca_cert, "POST", "/api/v1/namespaces/default/pods", json=body)
    assert r.status_code == 400
    assert r.json()["message"] == ('Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal bool into '
                                   'Go struct field EnvVar.spec.containers.env.value of type string')


def test_dry_run_returns_the_object_without_storing_it(core):
    created = core.create_namespaced_config_map(NS, _configmap("dry"), dry_run="All")
    assert created.metadata.name == "dry" and created.metadata.uid
    with pytest.raises(ApiException) as e:
        core.read_namespaced_config_map("dry", NS)
    assert e.value.status == 404


def test_a_pod_in_a_missing_namespace_is_404(core):
    with pytest.raises(ApiException) as e:
        core.create_namespaced_config_map("nowhere", _configmap("x"))
    assert _status(e.value)["message"] == 'namespaces "nowhere" not found'


def test_resource_versions_come_from_one_cluster_wide_counter(core, store):
    a = core.create_namespaced_config_map(NS, _configmap("rv-a"))
    b = core.create_namespaced_service_account(NS, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="rv-b")))
    assert int(b.metadata.resource_version) > int(a.metadata.resource_version)
    listed = core.list_namespaced_config_map(NS)
    assert int(listed.metadata.resource_version) >= int(b.metadata.resource_version)


# -- selectors, paging --------------------------------------------------------------------
@pytest.mark.parametrize("selector,expected", [
    ("tier=web", ["a"]), ("tier==web", ["a"]), ("tier!=web", ["b", "c"]), ("tier in (web,db)", ["a", "b"]),
    ("tier notin (web)", ["b", "c"]), ("tier", ["a", "b"]), ("!tier", ["c"]), ("tier=db,env=prod", ["b"]),
])
def test_label_selectors(core, selector, expected):
    core.create_namespaced_config_map(NS, _configmap("a", {"tier": "web", "sel": "1"}))
    core.create_namespaced_config_map(NS, _configmap("b", {"tier": "db", "env": "prod", "sel": "1"}))
    core.create_namespaced_config_map(NS, _configmap("c", {"sel": "1"}))
    items = core.list_namespaced_config_map(NS, label_selector=selector).items
    assert sorted(i.metadata.name for i in items if (i.metadata.labels or {}).get("sel")) == expected


def test_field_selector_on_name_and_unsupported_label(core):
    core.create_namespaced_config_map(NS, _configmap("fs1"))
    core.create_namespaced_config_map(NS, _configmap("fs2"))
    assert [i.metadata.name for i in core.list_namespaced_config_map(NS, field_selector="metadata.name=fs2").items] \
        == ["fs2"]
    with pytest.raises(ApiException) as e:
        core.list_namespaced_config_map(NS, field_selector="data.k=v")
    assert e.value.status == 400 and _status(e.value)["message"] == "field label not supported: data.k"


def test_pods_filter_by_phase_and_node(core, store):
    pods = core.list_namespaced_pod(NS).items
    assert pods, "the seeded store workload runs pods"
    node = pods[0].spec.node_name
    assert node.startswith("aks-nodepool1-") and node.endswith("-vmss000000")
    assert len(core.list_namespaced_pod(NS, field_selector=f"spec.nodeName={node}").items) == len(pods)
    phases = {p.status.phase for p in pods}
    for phase in phases:
        assert all(p.status.phase == phase for p in
                   core.list_namespaced_pod(NS, field_selector=f"status.phase={phase}").items)


def test_limit_and_continue_page_through_a_list(core):
    for i in range(5):
        core.create_namespaced_config_map(NS, _configmap(f"page-{i}", {"paged": "yes"}))
    first = core.list_namespaced_config_map(NS, label_selector="paged", limit=2)
    assert len(first.items) == 2 and first.metadata._continue
    second = core.list_namespaced_config_map(NS, label_selector="paged", limit=2, _continue=first.metadata._continue)
    third = core.list_namespaced_config_map(NS, label_selector="paged", limit=2, _continue=second.metadata._continue)
    names = [i.metadata.name for i in first.items + second.items + third.items]
    assert names == [f"page-{i}" for i in range(5)] and not third.metadata._continue


# -- patches ------------------------------------------------------------------------------
def test_strategic_merge_patch_merges_env_by_name(apps, core):
    core.create_namespaced_service_account(NS, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="p-sa")))
    apps.create_namespaced_deployment(NS, {"metadata": {"name": "smp"}, "spec": {
        "selector": {"matchLabels": {"app": "smp"}}, "template": {"metadata": {"labels": {"app": "smp"}}, "spec": {
            "serviceAccountName": "p-sa", "containers": [{"name": "app", "image": "x:1", "env": [
                {"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]}}}})
    patched = apps.patch_namespaced_deployment("smp", NS, {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}],
        "containers": [{"name": "app", "image": "x:2",
                        "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}]}]}}}})
    container = patched.spec.template.spec.containers[0]
    assert container.image == "x:2"
    assert [(e.name, e.value) for e in container.env] == [("A", "1"), ("B", "3"), ("C", "4")]
    raw = apps.api_client.sanitize_for_serialization(apps.read_namespaced_deployment("smp", NS))
    assert "$setElementOrder" not in json.dumps(raw)


def test_strategic_merge_patch_delete_directive_removes_a_list_item(apps, core):
    core.create_namespaced_service_account(NS, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="d-sa")))
    apps.create_namespaced_deployment(NS, {"metadata": {"name": "del"}, "spec": {
        "selector": {"matchLabels": {"app": "del"}}, "template": {"metadata": {"labels": {"app": "del"}}, "spec": {
            "serviceAccountName": "d-sa", "containers": [{"name": "app", "image": "x", "env": [
                {"name": "OPENAI_API_KEY", "value": "secret"}, {"name": "KEEP", "value": "1"}]}]}}}})
    patched = apps.patch_namespaced_deployment("del", NS, {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "env": [{"name": "OPENAI_API_KEY", "$patch": "delete"}]}]}}}})
    assert [e.name for e in patched.spec.template.spec.containers[0].env] == ["KEEP"]


def test_json_merge_patch_replaces_lists_and_null_deletes(core):
    core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(
        name="merge", labels={"a": "1", "b": "2"}), data={"x": "1"}))
    patched = core.patch_namespaced_config_map("merge", NS, {"metadata": {"labels": {"a": None, "c": "3"}}},
                                               _content_type="application/merge-patch+json")
    assert patched.metadata.labels == {"b": "2", "c": "3"}


def test_json_patch_applies_rfc6902_operations(core):
    core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="jp"), data={"x": "1"}))
    patched = core.patch_namespaced_config_map("jp", NS, [{"op": "add", "path": "/data/y", "value": "2"},
                                                          {"op": "remove", "path": "/data/x"}])
    assert patched.data == {"y": "2"}
    with pytest.raises(ApiException) as e:
        core.patch_namespaced_config_map("jp", NS, [{"op": "test", "path": "/data/y", "value": "9"}])
    assert e.value.status == 422 and _status(e.value)["reason"] == "Invalid"


def test_patch_with_an_unsupported_content_type_is_415(server, token, fresh):
    r = _raw(server, token, fresh.info.ca_cert, "PATCH", "/api/v1/namespaces/default/serviceaccounts/default",
             data="{}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and r.json()["reason"] == "UnsupportedMediaType"


def test_server_side_apply_needs_a_field_manager(server, token, fresh):
    body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: b\n"
    r = _raw(server, token, fresh.info.ca_cert, "PATCH", "/api/v1/namespaces/default/configmaps/ssa", data=body,
             headers={"Content-Type": "application/apply-patch+yaml"})
    assert r.status_code == 422
    assert r.json()["message"] == ('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required '
                                   'for apply patch')
    created = _raw(server, token, fresh.info.ca_cert, "PATCH",
                   "/api/v1/namespaces/default/configmaps/ssa?fieldManager=me", data=body,
                   headers={"Content-Type": "application/apply-patch+yaml"})
    assert created.status_code == 201 and created.json()["data"] == {"a": "b"}


# -- watch --------------------------------------------------------------------------------
def test_watch_sends_current_objects_then_changes_until_timeout(core):
    core.create_namespaced_config_map(NS, _configmap("w-1", {"watched": "yes"}))
    started = time.monotonic()
    events = []
    for e in watch.Watch().stream(core.list_namespaced_config_map, NS, label_selector="watched=yes",
                                  timeout_seconds=2):
        events.append((e["type"], e["object"].metadata.name))
        if len(events) == 1:  # the watch is open and has sent the current objects: now the changes
            core.create_namespaced_config_map(NS, _configmap("w-2", {"watched": "yes"}))
            core.delete_namespaced_config_map("w-1", NS)
    assert events == [("ADDED", "w-1"), ("ADDED", "w-2"), ("DELETED", "w-1")]
    assert 1.5 < time.monotonic() - started < 10


def test_watch_resumed_from_a_resource_version_sends_no_duplicates(core):
    core.create_namespaced_config_map(NS, _configmap("r-1", {"resume": "yes"}))
    w = watch.Watch()
    first = list(w.stream(core.list_namespaced_config_map, NS, label_selector="resume=yes", timeout_seconds=1))
    assert [e["object"].metadata.name for e in first] == ["r-1"]
    last = first[-1]["object"].metadata.resource_version
    core.create_namespaced_config_map(NS, _configmap("r-2", {"resume": "yes"}))
    again = list(watch.Watch().stream(core.list_namespaced_config_map, NS, label_selector="resume=yes",
                                      resource_version=last, timeout_seconds=1))
    assert [(e["type"], e["object"].metadata.name) for e in again] == [("ADDED", "r-2")]


def test_watch_bookmarks_carry_the_resource_version(server, token, fresh, section):
    section.bookmark_interval = 0.3
    try:
        r = _raw(server, token, fresh.info.ca_cert, "GET",
                 "/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&timeoutSeconds=1"
                 "&resourceVersion=1", stream=True)
        lines = [json.loads(line) for line in r.iter_lines() if line]
    finally:
        section.bookmark_interval = 60.0
    bookmarks = [e for e in lines if e["type"] == "BOOKMARK"]
    assert bookmarks and bookmarks[-1]["object"]["kind"] == "ConfigMap"
    assert int(bookmarks[-1]["object"]["metadata"]["resourceVersion"]) >= 1


def test_watch_path_form_and_an_object_leaving_the_selector_is_deleted(server, token, fresh, core, store):
    core.create_namespaced_config_map(NS, _configmap("leaver", {"in": "yes"}))
    rv = core.read_namespaced_config_map("leaver", NS).metadata.resource_version
    r = _raw(server, token, fresh.info.ca_cert, "GET",
             f"/api/v1/watch/namespaces/default/configmaps?labelSelector=in%3Dyes&resourceVersion={rv}"
             "&timeoutSeconds=1", stream=True)
    wait_for(lambda: store.history.watchers, 10, "the watch to subscribe to the store")  # then the change is live
    core.patch_namespaced_config_map("leaver", NS, {"metadata": {"labels": {"in": "no"}}})
    events = [json.loads(line) for line in r.iter_lines() if line]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("DELETED", "leaver")]


# -- logs ---------------------------------------------------------------------------------
def test_read_pod_log_with_tail_and_timestamps(core, section, store, tmp_path, monkeypatch):
    pod = core.list_namespaced_pod(NS).items[0]
    log = tmp_path / "app.log"
    log.write_text("2026-01-01T09:00:00.000000001Z stdout F line one\n"
                   "2026-01-01T09:00:01.000000001Z stderr F line two\n"
                   "2026-01-01T09:00:02.000000001Z stdout F line three\n")
    monkeypatch.setattr(section, "log_provider", lambda *args: log)
    container = pod.spec.containers[0].name
    assert core.read_namespaced_pod_log(pod.metadata.name, NS, container=container) == \
        "line one\nline two\nline three\n"
    assert core.read_namespaced_pod_log(pod.metadata.name, NS, container=container, tail_lines=1) == "line three\n"
    assert core.read_namespaced_pod_log(pod.metadata.name, NS, container=container, tail_lines=1, timestamps=True) \
        == "2026-01-01T09:00:02.000000001Z line three\n"


def test_read_pod_log_of_an_unknown_container_is_400(core):
    pod = core.list_namespaced_pod(NS).items[0]
    with pytest.raises(ApiException) as e:
        core.read_namespaced_pod_log(pod.metadata.name, NS, container="nope")
    assert e.value.status == 400
    assert _status(e.value)["message"] == f"container nope is not valid for pod {pod.metadata.name}"


def test_follow_streams_lines_appended_to_the_log(server, token, fresh, core, section, tmp_path, monkeypatch):
    pod = core.list_namespaced_pod(NS).items[0]
    log = tmp_path / "follow.log"
    log.write_text("2026-01-01T09:00:00Z stdout F started\n")
    monkeypatch.setattr(section, "log_provider", lambda *args: log)
    r = _raw(server, token, fresh.info.ca_cert, "GET",
             f"/api/v1/namespaces/default/pods/{pod.metadata.name}/log?follow=true&container="
             f"{pod.spec.containers[0].name}", stream=True, timeout=10)
    got = []
    for line in r.iter_lines():
        got.append(line.decode())
        if len(got) == 1:  # the stream is open and has sent what was there: now a line is appended
            with log.open("a") as f:
                f.write("2026-01-01T09:00:01Z stdout F appended\n")
        if len(got) == 2:
            break
    r.close()
    assert got == ["started", "appended"]


def test_a_protobuf_body_of_an_unsupported_kind_is_415(server, token, fresh):
    body = b"k8s\x00" + bytes([0x0a, 0x09, 0x0a, 0x02]) + b"v1" + bytes([0x12, 0x03]) + b"Pod" + bytes([0x12, 0x00])
    r = _raw(server, token, fresh.info.ca_cert, "POST", "/api/v1/namespaces/default/pods", data=body,
             headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
    assert r.status_code == 415 and r.json()["reason"] == "UnsupportedMediaType"
    assert "protobuf bodies of kind Pod are not supported" in r.json()["message"]


def test_deleting_a_deployment_answers_a_success_status_and_collects_its_pods(apps, core):
    core.create_namespaced_service_account(NS, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="g-sa")))
    apps.create_namespaced_deployment(NS, {"metadata": {"name": "gone"}, "spec": {
        "selector": {"matchLabels": {"app": "gone"}}, "template": {"metadata": {"labels": {"app": "gone"}}, "spec": {
            "serviceAccountName": "g-sa", "containers": [{"name": "app", "image": "x"}]}}}})
    assert len(core.list_namespaced_pod(NS, label_selector="app=gone").items) == 1
    status = apps.delete_namespaced_deployment("gone", NS, propagation_policy="Background")
    status = status if isinstance(status, dict) else apps.api_client.sanitize_for_serialization(status)
    assert status["kind"] == "Status" and status["status"] == "Success"
    assert status["details"]["name"] == "gone" and status["details"]["group"] == "apps"
    assert core.list_namespaced_pod(NS, label_selector="app=gone").items == []
    assert [rs for rs in apps.list_namespaced_replica_set(NS).items if rs.metadata.name.startswith("gone-")] == []


def test_deleting_a_pod_answers_the_pod(core):
    pod = core.create_namespaced_pod(NS, client.V1Pod(metadata=client.V1ObjectMeta(name="solo"), spec=client.V1PodSpec(
        containers=[client.V1Container(name="a", image="x")])))
    deleted = core.delete_namespaced_pod("solo", NS)
    assert deleted.kind == "Pod" and deleted.metadata.uid == pod.metadata.uid


def test_a_followed_log_ends_when_the_pod_is_deleted(server, token, fresh, core, section, tmp_path, monkeypatch):
    core.create_namespaced_pod(NS, client.V1Pod(metadata=client.V1ObjectMeta(name="short"), spec=client.V1PodSpec(
        containers=[client.V1Container(name="a", image="x")])))
    log = tmp_path / "short.log"
    log.write_text("2026-01-01T09:00:00Z stdout F hello\n")
    monkeypatch.setattr(section, "log_provider", lambda *args: log)
    r = _raw(server, token, fresh.info.ca_cert, "GET", "/api/v1/namespaces/default/pods/short/log?follow=true",
             stream=True, timeout=10)
    chunks = r.iter_content(chunk_size=None)
    assert next(chunks) == b"hello\n"
    started = time.monotonic()
    core.delete_namespaced_pod("short", NS)  # while the log is followed
    assert b"".join(chunks) == b""
    assert time.monotonic() - started < 5
