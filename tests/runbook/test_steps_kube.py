"""The Kubernetes-side steps against the emulator's API server with the real kubernetes client:
what is sent, an existing ServiceAccount, API-server throttling, the Deployment record, and
the form applied without a click; plus subscription discovery over the wire."""
from __future__ import annotations

import json

import pytest

import keyless
from keyless.steps.deploy import LAST_APPLIED, USE_LABEL
from keyless.targets import _list_subscriptions, choose_subscription


def up_to_service_account(rb: keyless.Runbook) -> None:
    for step in ("discover", "enable_workload_identity", "create_managed_identity", "assign_openai_role",
                 "create_federated_credential"):
        assert getattr(rb, step)().ok


def test_service_account_is_created_with_the_client_id_then_left_alone(rb, admin):
    up_to_service_account(rb)
    admin.clear_requests()
    first = rb.create_service_account()
    assert first.status == "created"
    sa = rb.clients._kube["myresourcegroup/myakscluster"].core.read_namespaced_service_account(
        "ai-service-account", "default")
    assert sa.metadata.annotations["azure.workload.identity/client-id"] == rb.state.discovered["client_id"]
    posts = [m for m in admin.mutating() if "/serviceaccounts" in m]
    assert len(posts) == 1 and posts[0].startswith("POST /k8s/")
    admin.clear_requests()
    assert rb.create_service_account().status == "unchanged"
    assert admin.mutating() == []


def test_an_existing_service_account_is_annotated_and_put_back_by_clean_up(rb, admin):
    up_to_service_account(rb)
    from kubernetes import client
    kube = keyless.kube.connect(rb.clients, "myResourceGroup", "myAKSCluster", rb.params.home)
    kube.core.create_namespaced_service_account("default", client.V1ServiceAccount(metadata=client.V1ObjectMeta(
        name="ai-service-account", annotations={"azure.workload.identity/client-id": "someone-else"})))
    r = rb.create_service_account()
    assert r.status == "updated"
    assert rb.state.original["service_account_annotation"] == {"value": "someone-else"}
    assert "service_account" not in rb.state.created          # not ours: clean-up must not delete it
    rb.clean_up()
    sa = kube.core.read_namespaced_service_account("ai-service-account", "default")
    assert sa.metadata.annotations["azure.workload.identity/client-id"] == "someone-else"


def test_redeploy_records_the_original_without_the_key(rb, admin):
    up_to_service_account(rb)
    rb.create_service_account()
    key = rb.clients.cognitive.accounts.list_keys("myResourceGroup", "myOpenAIAccount").key1
    r = rb.redeploy_app()
    assert r.status == "updated", repr(r)
    recorded = json.dumps(rb.state.original["deployment"])
    assert key not in recorded and key not in rb.state.path.read_text()
    assert "OPENAI_API_KEY" in recorded                       # it knows what to put back
    patches = [x for x in admin.requests() if x["method"] == "PATCH" and x["path"].endswith("/deployments/ai-service")]
    assert len(patches) == 1
    dep = rb.clients._kube["myresourcegroup/myakscluster"].apps.read_namespaced_deployment("ai-service", "default")
    env = {e.name: e.value for e in dep.spec.template.spec.containers[0].env}
    assert "OPENAI_API_KEY" not in env and env["USE_AZURE_AD"] == "True"
    assert dep.spec.template.metadata.labels[USE_LABEL] == "true"
    assert key not in json.dumps((dep.metadata.annotations or {}).get(LAST_APPLIED, ""))


def test_clean_up_restores_the_key_based_deployment(rb, admin):
    up_to_service_account(rb)
    rb.create_service_account()
    rb.redeploy_app()
    key = rb.clients.cognitive.accounts.list_keys("myResourceGroup", "myOpenAIAccount").key1
    done = rb.clean_up()
    assert done.ok and "Deployment ai-service: restored" in repr(done)
    assert key not in repr(done)
    dep = rb.clients._kube["myresourcegroup/myakscluster"].apps.read_namespaced_deployment("ai-service", "default")
    env = {e.name: e.value for e in dep.spec.template.spec.containers[0].env}
    assert env["OPENAI_API_KEY"] == key and USE_LABEL not in (dep.spec.template.metadata.labels or {})


def _node_os(kube, os_label: str) -> None:
    node = kube.core.list_node().items[0].metadata.name
    kube.core.patch_node(node, {"metadata": {"labels": {"kubernetes.io/os": os_label}}})


def test_clean_up_whose_restored_pods_cannot_start_fails_that_check_and_run_again_waits_for_them(rb, admin):
    """The restored Deployment's pods cannot be scheduled (its nodeSelector asks for a Linux node; the node was
    relabelled): no ✅ for it, the rest removed, and clean-up run again once the node fits finishes the job."""
    up_to_service_account(rb)
    rb.create_service_account()
    rb.redeploy_app()
    kube = rb.clients._kube["myresourcegroup/myakscluster"]
    _node_os(kube, "windows")
    impatient = keyless.init(rb.params.replace(rollout_timeout=5), emulator=rb.clients.emulator)
    done = impatient.clean_up()
    assert (done.status, done.summary) == ("failed", "removed what the runbook made (6 action(s)); not finished: "
                                                     "Deployment ai-service")
    deployment = next(c for c in done.checks if c.name == "Deployment ai-service")
    assert not deployment.ok and deployment.detail.startswith("restored, but its pods were not ready within 5s (")
    assert deployment.hint == ("look at its pods: kubectl get pods -n default -l app=ai-service; "
                               "kubectl describe pod -n default -l app=ai-service")
    assert "run clean-up again" in done.hint
    assert [c.name for c in done.checks if c.ok] == [
        "ServiceAccount ai-service-account", "federated credential myFedIdentity",
        next(c.name for c in done.checks if c.name.startswith("role assignment ")), "managed identity myIdentity",
        "workload identity on the cluster"]
    pending = [p for p in kube.core.list_namespaced_pod("default", label_selector="app=ai-service").items
               if p.status.phase == "Pending"]
    assert len(pending) == 1
    reasons = {e.reason for e in kube.core.list_namespaced_event(
        "default", field_selector=f"involvedObject.name={pending[0].metadata.name}").items}
    assert "FailedScheduling" in reasons
    assert "deployment_changed" in impatient.state.created and "deployment" in impatient.state.original

    _node_os(kube, "linux")  # the scheduler tries the pending pod again on the node's change
    patient = keyless.init(rb.params, emulator=rb.clients.emulator)
    again = patient.clean_up()
    assert again.ok and [(c.name, c.ok, c.detail) for c in again.checks] == [("Deployment ai-service", True,
                                                                             "restored")]
    assert "deployment_changed" not in patient.state.created and "deployment" not in patient.state.original
    env = {e.name for e in kube.apps.read_namespaced_deployment("ai-service", "default")
           .spec.template.spec.containers[0].env}
    assert "OPENAI_API_KEY" in env


def test_api_server_throttling_is_explained(rb, admin):
    up_to_service_account(rb)
    admin.faults({"route": "/serviceaccounts", "method": "POST", "status": 429, "code": "TooManyRequests",
                  "retry_after": 1})
    r = rb.create_service_account()
    assert r.status == "failed" and "429" in r.summary and "throttling" in r.hint


def test_redeploy_without_the_prerequisite_deployment_is_explained(rb, admin):
    up_to_service_account(rb)
    rb.create_service_account()
    kube = keyless.kube.connect(rb.clients, "myResourceGroup", "myAKSCluster", rb.params.home)
    kube.apps.delete_namespaced_deployment("ai-service", "default")
    r = rb.redeploy_app()
    assert r.status == "failed" and r.get("error") == "DeploymentNotFound" and "prerequisite" in r.hint


def test_the_form_is_applied_without_a_click(rb):
    rb.interactive = True
    form = rb.form()
    assert "myResourceGroup" in form.fields["resource_group"].options      # live suggestion from the emulator
    assert form.fields["cluster"].options == ("myAKSCluster",)
    form.fields["identity"].value = "anotherIdentity"
    rb.apply(form)
    assert rb.params.identity == "anotherIdentity"


def test_subscription_discovery_over_the_wire(fresh):
    info = fresh.info
    from azure.identity import ClientSecretCredential
    cred = ClientSecretCredential(info.tenant_id, info.client_id, info.client_secret, authority=info.url,
                                  disable_instance_discovery=True, connection_verify=info.ca_cert)
    subs = _list_subscriptions(cred, info.url, "https://management.azure.com/.default", info.ca_cert)
    assert choose_subscription(subs, "")["subscriptionId"] == info.subscription_id
    with pytest.raises(keyless.KeylessError):
        choose_subscription(subs, "00000000-0000-0000-0000-000000000000")
