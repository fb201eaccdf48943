"""metadata.managedFields as kube-apiserver keeps them: the seeded store as the prerequisite
article's `kubectl apply` left it, and the entries creates, applies and patches record."""
from __future__ import annotations

import json

import yaml
from kit import wait_for
from kubernetes import client

from keyless_emulator.storeapps.applied import LAST_APPLIED

NS = "default"
RFC3339 = "%Y-%m-%dT%H:%M:%SZ"

CONFIG_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: fields-demo
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: fields-demo
  template:
    metadata:
      labels:
        app: fields-demo
    spec:
      containers:
      - name: web
        image: ghcr.io/example/web:{tag}
        ports:
        - containerPort: 8080
"""


def _entries(obj: dict, subresource: str = "") -> dict[tuple[str, str], dict]:
    """obj's entries of writes to the resource (or to `subresource`), by manager and operation."""
    return {(e["manager"], e["operation"]): e for e in obj["metadata"].get("managedFields") or []
            if e.get("subresource", "") == subresource}


def _container(fields_v1: dict, name: str) -> dict:
    return fields_v1["f:spec"]["f:template"]["f:spec"]["f:containers"][f'k:{{"name":"{name}"}}']


def test_the_seeded_ai_service_carries_kubectls_client_side_apply_entry(store, section):
    dep = store.get("deployments", NS, "ai-service")
    entries = _entries(dep)
    entry = entries[("kubectl-client-side-apply", "Update")]
    assert entry["apiVersion"] == "apps/v1" and entry["fieldsType"] == "FieldsV1"
    assert entry["time"] == dep["metadata"]["creationTimestamp"]
    fields_v1 = entry["fieldsV1"]
    assert fields_v1["f:metadata"]["f:annotations"] == {".": {}, f"f:{LAST_APPLIED}": {}}
    assert fields_v1["f:spec"]["f:selector"] == {} and "f:replicas" in fields_v1["f:spec"]
    container = _container(fields_v1, "ai-service")
    assert container["."] == {} and "f:image" in container and "f:imagePullPolicy" in container  # defaulted too
    assert {"f:name", "f:value"} <= set(container["f:env"]['k:{"name":"OPENAI_API_KEY"}'])
    assert 'k:{"containerPort":5001,"protocol":"TCP"}' in container["f:ports"]
    assert "f:status" not in fields_v1
    for resource, name in (("services", "ai-service"), ("deployments", "store-admin")):
        assert ("kubectl-client-side-apply", "Update") in _entries(store.get(resource, NS, name)), name


def test_the_controllers_the_scheduler_and_the_kubelet_own_what_they_write(store):
    def status_entry() -> dict | None:
        return _entries(store.get("deployments", NS, "ai-service"), "status").get(("kube-controller-manager", "Update"))

    entry = wait_for(status_entry, 20, "the deployment controller's status entry on ai-service")
    assert set(entry["fieldsV1"]) == {"f:status"}
    rs = wait_for(lambda: next(iter(store.list("replicasets", NS, lambda r: r["metadata"]["name"].startswith(
        "ai-service-"))[0]), None), 20, "ai-service's ReplicaSet")
    assert "f:replicas" in _entries(rs)[("kube-controller-manager", "Update")]["fieldsV1"]["f:spec"]

    def pod_writers() -> dict | None:
        pods = store.list("pods", NS, lambda p: p["metadata"]["labels"].get("app") == "ai-service")[0]
        found = {(e["manager"], e.get("subresource", "")): e for p in pods for e in p["metadata"]["managedFields"]}
        return found if ("kubelet", "status") in found else None

    writers = wait_for(pod_writers, 30, "the kubelet's status entry on an ai-service pod")
    assert "f:ownerReferences" in writers[("kube-controller-manager", "")]["fieldsV1"]["f:metadata"]
    assert set(writers[("kube-scheduler", "status")]["fieldsV1"]) == {"f:status"}
    assert "f:hostIP" in writers[("kubelet", "status")]["fieldsV1"]["f:status"]  # phase only once it moves


def test_kubectl_apply_takes_the_changed_field_from_the_python_clients_create(apps, kubectl, store):
    manifest = yaml.safe_load(CONFIG_DEPLOYMENT.format(replicas=1, tag="1.0"))
    created = apps.create_namespaced_deployment(NS, manifest)
    entries = created.metadata.managed_fields
    assert all(isinstance(e, client.V1ManagedFieldsEntry) for e in entries)
    assert [(e.manager, e.operation) for e in entries] == [("OpenAPI-Generator", "Update")]
    assert "f:image" in _container(entries[0].fields_v1, "web")

    kubectl("apply", "-f", "-", input=CONFIG_DEPLOYMENT.format(replicas=1, tag="2.0"))
    after = _entries(store.get("deployments", NS, "fields-demo"))
    mine = after[("kubectl-client-side-apply", "Update")]["fieldsV1"]
    theirs = after[("OpenAPI-Generator", "Update")]["fieldsV1"]
    assert "f:image" in _container(mine, "web") and "f:image" not in _container(theirs, "web")
    assert f"f:{LAST_APPLIED}" in mine["f:metadata"]["f:annotations"]
    assert "f:name" in _container(theirs, "web") and "f:replicas" in theirs["f:spec"]

    shown = yaml.safe_load(kubectl("get", "deploy", "fields-demo", "-o", "yaml", "--show-managed-fields").stdout)
    assert {"OpenAPI-Generator", "kubectl-client-side-apply"} <= {e["manager"] for e in shown["metadata"][
        "managedFields"]}  # and the deployment controller's revision annotation and status
    hidden = yaml.safe_load(kubectl("get", "deploy", "fields-demo", "-o", "yaml").stdout)
    assert "managedFields" not in hidden["metadata"]


def test_a_strategic_merge_patch_with_a_field_manager_records_that_manager(core, store):
    core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="fm-patch"),
                                                             data={"a": "1"}))
    patched = core.patch_namespaced_config_map("fm-patch", NS, {"data": {"b": "2"}}, field_manager="x")
    entries = {(e.manager, e.operation): e for e in patched.metadata.managed_fields}
    assert entries[("x", "Update")].fields_v1 == {"f:data": {"f:b": {}}}
    assert entries[("OpenAPI-Generator", "Update")].fields_v1 == {"f:data": {".": {}, "f:a": {}}}
    stored = _entries(store.get("configmaps", NS, "fm-patch"))
    assert set(stored) == {("x", "Update"), ("OpenAPI-Generator", "Update")}


def test_an_apply_patch_records_an_apply_entry(core, kubectl, store):
    manifest = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fm-apply\n  labels:\n    tier: web\n"
                "data:\n  a: '1'\n")
    kubectl("apply", "--server-side", "-f", "-", input=manifest)
    entries = _entries(store.get("configmaps", NS, "fm-apply"))
    assert set(entries) == {("kubectl", "Apply")}
    assert entries[("kubectl", "Apply")]["fieldsV1"] == {"f:data": {"f:a": {}}, "f:metadata": {"f:labels": {
        "f:tier": {}}}}

    core.patch_namespaced_config_map("fm-apply", NS, {"data": {"a": "2"}}, field_manager="editor")
    entries = _entries(store.get("configmaps", NS, "fm-apply"))
    assert entries[("kubectl", "Apply")]["fieldsV1"] == {"f:metadata": {"f:labels": {"f:tier": {}}}}
    assert entries[("editor", "Update")]["fieldsV1"] == {"f:data": {"f:a": {}}}


def test_a_write_of_managed_fields_set_to_one_empty_entry_clears_them(core, store):
    core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="fm-reset"),
                                                             data={"a": "1"}))
    body = {"metadata": {"managedFields": [{}]}}
    core.patch_namespaced_config_map("fm-reset", NS, body)
    assert "managedFields" not in store.get("configmaps", NS, "fm-reset")["metadata"]

    forged = [{"manager": "forger", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1",
               "fieldsV1": {"f:data": {"f:a": {}}}}]
    core.patch_namespaced_config_map("fm-reset", NS, {"metadata": {"managedFields": forged}, "data": {"b": "2"}})
    entries = _entries(store.get("configmaps", NS, "fm-reset"))
    assert set(entries) == {("OpenAPI-Generator", "Update")}
    assert json.dumps(entries[("OpenAPI-Generator", "Update")]["fieldsV1"]) == '{"f:data": {"f:b": {}}}'


def test_an_entry_whose_every_field_another_manager_takes_is_dropped(core, store):
    sa = client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="fm-drop"), automount_service_account_token=True)
    core.create_namespaced_service_account(NS, sa)
    assert set(_entries(store.get("serviceaccounts", NS, "fm-drop"))) == {("OpenAPI-Generator", "Update")}
    core.patch_namespaced_service_account("fm-drop", NS, {"automountServiceAccountToken": False},
                                          field_manager="taker")
    entries = _entries(store.get("serviceaccounts", NS, "fm-drop"))
    assert set(entries) == {("taker", "Update")}
    assert entries[("taker", "Update")]["fieldsV1"] == {"f:automountServiceAccountToken": {}}


def test_kubectl_scale_records_a_scale_write_of_the_replicas(kubectl, store):
    kubectl("scale", "deployment", "store-admin", "--replicas=2")
    scale = _entries(store.get("deployments", NS, "store-admin"), "scale")
    assert scale[("kubectl", "Update")]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    csa = _entries(store.get("deployments", NS, "store-admin"))[("kubectl-client-side-apply", "Update")]
    assert "f:replicas" not in csa["fieldsV1"]["f:spec"]


def test_kubectl_server_side_apply_over_the_seeded_store_takes_the_changed_image_and_syncs_last_applied(
        kubectl, store):
    manifest = json.loads(store.get("deployments", NS, "store-admin")["metadata"]["annotations"][LAST_APPLIED])
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    container["image"] = container["image"].rsplit(":", 1)[0] + ":2.0"
    kubectl("apply", "--server-side", "-f", "-", input=json.dumps(manifest))

    dep = store.get("deployments", NS, "store-admin")
    entries = _entries(dep)
    applied = entries[("kubectl", "Apply")]["fieldsV1"]
    csa = entries[("kubectl-client-side-apply", "Update")]["fieldsV1"]
    assert "f:image" in _container(applied, container["name"])
    assert "f:image" not in _container(csa, container["name"]) and "f:name" in _container(csa, container["name"])
    assert f"f:{LAST_APPLIED}" in csa["f:metadata"]["f:annotations"]
    synced = json.loads(dep["metadata"]["annotations"][LAST_APPLIED])
    assert synced["spec"]["template"]["spec"]["containers"][0]["image"] == container["image"]


def test_fieldsv1_marks_maps_and_keyed_list_items_as_members_and_decodes_back():
    from keyless_emulator.kubernetes import fields

    pod_spec = {"metadata": {"labels": {"app": "a"}, "ownerReferences": [{"uid": "u1", "kind": "ReplicaSet"}]},
                "spec": {"containers": [{"name": "web", "ports": [{"containerPort": 80}], "args": ["-v"]}],
                         "securityContext": {}}}
    trie = fields.encode(fields.members(pod_spec))
    assert trie == {"f:metadata": {"f:labels": {".": {}, "f:app": {}},
                                   "f:ownerReferences": {".": {}, 'k:{"uid":"u1"}': {}}},
                    "f:spec": {"f:containers": {'k:{"name":"web"}': {
                        ".": {}, "f:args": {}, "f:name": {},
                        "f:ports": {".": {}, 'k:{"containerPort":80,"protocol":"TCP"}': {".": {},
                                                                                         "f:containerPort": {}}}}},
                               "f:securityContext": {}}}
    assert fields.decode(trie) == set(fields.members(pod_spec))
    applied = fields.encode(fields.members(pod_spec, applied=True))
    assert applied["f:metadata"] == {"f:labels": {"f:app": {}}, "f:ownerReferences": {'k:{"uid":"u1"}': {}}}
