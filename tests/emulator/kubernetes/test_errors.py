"""Bad requests get the Status kube-apiserver answers, naming the parameter and the rule."""
from __future__ import annotations

import pytest
import requests


@pytest.fixture
def call(server, token, fresh):
    def run(method: str, path: str, **kw) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
        return requests.request(method, server + path, headers=headers, verify=fresh.info.ca_cert, **kw)
    return run


CM = "/api/v1/namespaces/default/configmaps"


def test_invalid_label_selector_is_400(call):
    r = call("GET", CM + "?labelSelector=a%3D%3Db%3Dc%21")
    assert r.status_code == 400 and r.json()["reason"] == "BadRequest"
    assert r.json()["message"].startswith("unable to parse requirement:")


def test_unsupported_dry_run_value_is_422_on_the_options(call):
    r = call("POST", CM + "?dryRun=Some", json={"metadata": {"name": "x"}})
    assert r.status_code == 422
    assert r.json()["message"] == ('CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: "Some": '
                                   'supported values: "All"')


def test_unsupported_field_validation_value_is_422_on_the_options(call):
    r = call("PATCH", CM + "/kube-root-ca.crt?fieldValidation=Loose", data="{}",
             headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 422
    assert r.json()["message"] == ('PatchOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: '
                                   '"Loose": supported values: "", "Ignore", "Strict", "Warn"')


def test_unsupported_propagation_policy_is_400(call):
    call("POST", CM, json={"metadata": {"name": "prop"}})
    r = call("DELETE", CM + "/prop?propagationPolicy=Sideways")
    assert r.status_code == 400 and "propagationPolicy: Unsupported value: \"Sideways\"" in r.json()["message"]


def test_negative_limit_and_bad_timeout_are_400(call):
    assert call("GET", CM + "?limit=-1").status_code == 400
    r = call("GET", CM + "?watch=true&timeoutSeconds=soon")
    assert r.status_code == 400 and r.json()["message"] == 'timeoutSeconds: Invalid value: "soon": must be an integer'


def test_bad_continue_token_is_400(call):
    r = call("GET", CM + "?limit=1&continue=garbage")
    assert r.status_code == 400 and r.json()["message"].startswith("continue key is not valid")


def test_non_numeric_watch_resource_version_is_400(call):
    r = call("GET", CM + "?watch=true&resourceVersion=abc")
    assert r.status_code == 400
    assert r.json()["message"] == 'resourceVersion: Invalid value: "abc": must be a non-negative integer'


def test_name_in_body_must_match_the_url_on_put(call):
    call("POST", CM, json={"metadata": {"name": "one"}})
    r = call("PUT", CM + "/one", json={"metadata": {"name": "two"}})
    assert r.status_code == 400
    assert r.json()["message"] == "the name of the object (two) does not match the name on the URL (one)"


def test_namespace_in_body_must_match_the_url_on_post(call):
    r = call("POST", CM, json={"metadata": {"name": "n", "namespace": "kube-system"}})
    assert r.status_code == 400
    assert r.json()["message"] == ("the namespace of the provided object does not match the namespace sent on the "
                                   "request")


def test_malformed_json_body_is_400(call):
    r = call("POST", CM, data="{not json")
    assert r.status_code == 400 and r.json()["message"].startswith("couldn't get version/kind; json parse error")


def test_malformed_yaml_body_is_400_and_a_yaml_body_is_read(call):
    bad = call("POST", CM, data="a: [b", headers={"Content-Type": "application/yaml"})
    assert bad.status_code == 400 and bad.json()["message"].startswith("couldn't get version/kind; json parse error")
    good = call("POST", CM, data="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n",
                headers={"Content-Type": "application/yaml"})
    assert good.status_code == 201 and good.json()["data"] == {"k": "v"}


def test_service_names_follow_dns_1035_and_ports_their_range(call):
    r = call("POST", "/api/v1/namespaces/default/services", json={"metadata": {"name": "1svc"},
                                                                  "spec": {"ports": [{"port": 70000}]}})
    assert r.status_code == 422
    causes = {c["field"]: c["message"] for c in r.json()["details"]["causes"]}
    assert causes["metadata.name"].startswith('Invalid value: "1svc": a DNS-1035 label must consist of')
    assert causes["spec.ports[0].port"] == "Invalid value: 70000: must be between 1 and 65535, inclusive"


def test_namespace_names_are_rfc_1123_labels(call):
    r = call("POST", "/api/v1/namespaces", json={"metadata": {"name": "team.a"}})
    assert r.status_code == 422
    assert r.json()["details"]["causes"][0]["message"].startswith(
        'Invalid value: "team.a": a lowercase RFC 1123 label must consist of')


def test_scale_below_zero_is_422(call):
    r = call("PATCH", "/apis/apps/v1/namespaces/default/deployments/ai-service/scale",
             json={"spec": {"replicas": -1}}, headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 422
    assert r.json()["message"] == ('Scale.autoscaling "ai-service" is invalid: spec.replicas: Invalid value: -1: '
                                   "must be greater than or equal to 0")


def test_a_cluster_scoped_resource_under_a_namespace_is_404(call):
    assert call("GET", "/api/v1/namespaces/default/nodes").status_code == 404


def test_an_unsupported_verb_on_a_collection_is_405(call):
    r = call("PUT", CM)
    assert r.status_code == 405 and r.json()["kind"] == "Status"


def test_deployment_selector_is_immutable(call):
    r = call("PATCH", "/apis/apps/v1/namespaces/default/deployments/ai-service",
             json={"spec": {"selector": {"matchLabels": {"app": "other"}},
                            "template": {"metadata": {"labels": {"app": "other"}}}}},
             headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert r.status_code == 422
    assert r.json()["message"] == (
        'Deployment.apps "ai-service" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:'
        'map[string]string{"app":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable')


def test_label_keys_are_qualified_names(call):
    r = call("POST", CM, json={"metadata": {"name": "lk", "labels": {"bad key!": "v"}}})
    assert r.status_code == 422
    cause = r.json()["details"]["causes"][0]
    assert cause["field"] == "metadata.labels"
    assert cause["message"].startswith('Invalid value: "bad key!": name part must consist of alphanumeric characters')
    annotations = {"kubectl.kubernetes.io/last-applied-configuration": "{}"}
    ok = call("POST", CM, json={"metadata": {"name": "lk", "labels": {"azure.workload.identity/use": "true"},
                                             "annotations": annotations}})
    assert ok.status_code == 201
