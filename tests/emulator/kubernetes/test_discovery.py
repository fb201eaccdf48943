"""Discovery, OpenAPI v3, Table output and content negotiation, on the wire."""
from __future__ import annotations

import requests

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
TABLE = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
         "application/json")


def _get(server, token, fresh, path, accept=None):
    headers = {"Authorization": f"Bearer {token}"}
    if accept:
        headers["Accept"] = accept
    return requests.get(server + path, headers=headers, verify=fresh.info.ca_cert)


def test_version_needs_no_token_but_refuses_a_bad_one(server, fresh):
    assert requests.get(server + "/version", verify=fresh.info.ca_cert).json()["gitVersion"] == "v1.32.6"
    bad = requests.get(server + "/version", headers={"Authorization": "Bearer nope"}, verify=fresh.info.ca_cert)
    assert bad.status_code == 401


def test_aggregated_discovery_when_asked(server, token, fresh):
    r = _get(server, token, fresh, "/apis", AGGREGATED + ",application/json")
    assert r.headers["Content-Type"] == AGGREGATED
    body = r.json()
    assert body["kind"] == "APIGroupDiscoveryList" and body["apiVersion"] == "apidiscovery.k8s.io/v2"
    apps = next(i for i in body["items"] if i["metadata"]["name"] == "apps")
    deployments = next(x for x in apps["versions"][0]["resources"] if x["resource"] == "deployments")
    assert deployments["shortNames"] == ["deploy"] and deployments["scope"] == "Namespaced"
    assert {s["subresource"] for s in deployments["subresources"]} == {"scale", "status"}
    core = _get(server, token, fresh, "/api", AGGREGATED).json()
    pods = next(x for x in core["items"][0]["versions"][0]["resources"] if x["resource"] == "pods")
    assert {s["subresource"] for s in pods["subresources"]} >= {"log", "status", "proxy"}


def test_legacy_discovery_documents(server, token, fresh):
    assert _get(server, token, fresh, "/api").json()["versions"] == ["v1"]
    groups = _get(server, token, fresh, "/apis").json()
    assert groups["kind"] == "APIGroupList"
    assert [g["name"] for g in groups["groups"]] == ["apps", "authentication.k8s.io", "authorization.k8s.io",
                                                      "discovery.k8s.io", "rbac.authorization.k8s.io"]
    v1 = _get(server, token, fresh, "/api/v1").json()
    by_name = {r["name"]: r for r in v1["resources"]}
    assert by_name["pods"]["shortNames"] == ["po"] and by_name["pods"]["singularName"] == "pod"
    assert by_name["pods/log"]["verbs"] == ["get"] and by_name["services/proxy"]
    assert by_name["namespaces"]["namespaced"] is False
    apps = _get(server, token, fresh, "/apis/apps/v1").json()
    scale = next(r for r in apps["resources"] if r["name"] == "deployments/scale")
    assert scale["group"] == "autoscaling" and scale["kind"] == "Scale"


def test_openapi_v3_marks_patch_with_the_gvk_and_field_validation(server, token, fresh):
    root = _get(server, token, fresh, "/openapi/v3").json()
    url = root["paths"]["apis/apps/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/apps/v1?hash=")
    doc = _get(server, token, fresh, url).json()
    item = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
    assert item["patch"]["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert "fieldValidation" in [p["name"] for p in item["parameters"]]
    assert "io.k8s.api.apps.v1.Deployment" in doc["components"]["schemas"]


def test_openapi_v2_is_not_served(server, token, fresh):
    r = _get(server, token, fresh, "/openapi/v2")
    assert r.status_code == 404 and r.json()["reason"] == "NotFound"


def test_pods_as_a_table(server, token, fresh):
    table = _get(server, token, fresh, "/api/v1/namespaces/default/pods", TABLE).json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"] if c["priority"] == 0] == \
        ["Name", "Ready", "Status", "Restarts", "Age"]
    row = table["rows"][0]
    assert row["object"]["kind"] == "PartialObjectMetadata" and len(row["cells"]) == len(table["columnDefinitions"])


def test_json_when_protobuf_is_offered_first(server, token, fresh):
    r = _get(server, token, fresh, "/api/v1/namespaces/default/serviceaccounts/default",
             "application/vnd.kubernetes.protobuf,application/json")
    assert r.headers["Content-Type"].startswith("application/json") and r.json()["kind"] == "ServiceAccount"


def test_lists_omit_item_kinds_and_carry_a_resource_version(server, token, fresh):
    body = _get(server, token, fresh, "/api/v1/namespaces").json()
    assert body["kind"] == "NamespaceList" and body["metadata"]["resourceVersion"].isdigit()
    assert "kind" not in body["items"][0] and body["items"][0]["metadata"]["name"]


def test_unknown_resource_is_404(server, token, fresh):
    r = _get(server, token, fresh, "/api/v1/namespaces/default/widgets")
    assert r.status_code == 404 and r.json()["message"] == "the server could not find the requested resource"
