"""The workload identity webhook's rules (azure-workload-identity v1.5), as a function over dicts."""
from __future__ import annotations

import json

import pytest
from kit import enable_workload_identity, wait_for

from keyless_emulator.kubernetes.webhook import (
    AdmissionDenied,
    WebhookConfig,
    WorkloadIdentityWebhook,
    mutate_pod,
    selects,
)

TENANT = "11111111-1111-1111-1111-111111111111"
CLIENT = "22222222-2222-2222-2222-222222222222"
CONFIG = WebhookConfig(tenant_id=TENANT, authority_host="https://login.microsoftonline.com/")


def sa(annotations=None, name="ai-service-account"):
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": "default", "annotations": annotations or {}}}


def pod(label="true", annotations=None, containers=None, init=None, sa_name="ai-service-account", volumes=None):
    labels = {"app": "ai-service"}
    if label is not None:
        labels["azure.workload.identity/use"] = label
    spec = {"serviceAccountName": sa_name, "containers": containers or [{"name": "ai-service", "image": "x"}]}
    if init is not None:
        spec["initContainers"] = init
    if volumes is not None:
        spec["volumes"] = volumes
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "ai-service-abc", "labels": labels, "annotations": annotations or {}}, "spec": spec}


def env_of(container):
    return {e["name"]: e["value"] for e in container.get("env", [])}


def webhook(service_accounts, enabled=True):
    return WorkloadIdentityWebhook(lambda: enabled, lambda: CONFIG,
                                   lambda ns, name: service_accounts.get((ns, name)))


def test_labelled_pod_gets_the_four_variables_the_mount_and_the_projected_volume():
    out = mutate_pod(pod(), sa({"azure.workload.identity/client-id": CLIENT}), CONFIG)
    c = out["spec"]["containers"][0]
    assert env_of(c) == {"AZURE_CLIENT_ID": CLIENT, "AZURE_TENANT_ID": TENANT,
                         "AZURE_FEDERATED_TOKEN_FILE": "/var/run/secrets/azure/tokens/azure-identity-token",
                         "AZURE_AUTHORITY_HOST": "https://login.microsoftonline.com/"}
    assert [e["name"] for e in c["env"]] == ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE",
                                             "AZURE_AUTHORITY_HOST"]
    assert c["volumeMounts"] == [{"name": "azure-identity-token", "mountPath": "/var/run/secrets/azure/tokens",
                                  "readOnly": True}]
    assert out["spec"]["volumes"] == [{"name": "azure-identity-token", "projected": {"sources": [
        {"serviceAccountToken": {"path": "azure-identity-token", "expirationSeconds": 3600,
                                 "audience": "api://AzureADTokenExchange"}}]}}]
    assert out["metadata"]["labels"]["azure.workload.identity/use"] == "true"


def test_mutation_does_not_change_the_input():
    original = pod()
    mutate_pod(original, sa({"azure.workload.identity/client-id": CLIENT}), CONFIG)
    assert "env" not in original["spec"]["containers"][0] and "volumes" not in original["spec"]


@pytest.mark.parametrize("label", [None, "True", "false", "TRUE", "yes", ""])
def test_only_the_exact_label_value_true_selects_the_pod(label):
    p = pod(label=label)
    assert not selects(p)
    hook = webhook({("default", "ai-service-account"): sa({"azure.workload.identity/client-id": CLIENT})})
    assert hook.admit(p, "default") == p


def test_exact_label_is_selected():
    assert selects(pod(label="true"))


def test_label_on_the_service_account_does_not_select_the_pod():
    account = sa({"azure.workload.identity/client-id": CLIENT})
    account["metadata"]["labels"] = {"azure.workload.identity/use": "true"}
    p = pod(label=None)
    assert webhook({("default", "ai-service-account"): account}).admit(p, "default") == p


def test_workload_identity_off_leaves_the_pod_untouched():
    p = pod()
    hook = webhook({("default", "ai-service-account"): sa({"azure.workload.identity/client-id": CLIENT})},
                   enabled=False)
    assert hook.admit(p, "default") == p


def test_missing_client_id_annotation_skips_only_that_variable():
    out = mutate_pod(pod(), sa(), CONFIG)
    c = out["spec"]["containers"][0]
    assert set(env_of(c)) == {"AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST"}
    assert out["spec"]["volumes"][0]["name"] == "azure-identity-token"


def test_empty_client_id_annotation_is_skipped_too():
    out = mutate_pod(pod(), sa({"azure.workload.identity/client-id": ""}), CONFIG)
    assert "AZURE_CLIENT_ID" not in env_of(out["spec"]["containers"][0])


def test_tenant_id_annotation_overrides_the_cluster_tenant():
    other = "33333333-3333-3333-3333-333333333333"
    out = mutate_pod(pod(), sa({"azure.workload.identity/client-id": CLIENT,
                                "azure.workload.identity/tenant-id": other}), CONFIG)
    assert env_of(out["spec"]["containers"][0])["AZURE_TENANT_ID"] == other


def test_existing_variable_is_kept_not_overridden():
    containers = [{"name": "ai-service", "image": "x", "env": [{"name": "AZURE_CLIENT_ID", "value": "mine"},
                                                                {"name": "USE_AZURE_AD", "value": "True"}]}]
    out = mutate_pod(pod(containers=containers), sa({"azure.workload.identity/client-id": CLIENT}), CONFIG)
    env = out["spec"]["containers"][0]["env"]
    assert env[0] == {"name": "AZURE_CLIENT_ID", "value": "mine"}
    assert [e["name"] for e in env].count("AZURE_CLIENT_ID") == 1
    assert env_of(out["spec"]["containers"][0])["USE_AZURE_AD"] == "True"


def test_existing_variable_from_a_secret_is_kept():
    containers = [{"name": "c", "image": "x", "env": [
        {"name": "AZURE_TENANT_ID", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}]
    out = mutate_pod(pod(containers=containers), sa({"azure.workload.identity/client-id": CLIENT}), CONFIG)
    names = [e["name"] for e in out["spec"]["containers"][0]["env"]]
    assert names.count("AZURE_TENANT_ID") == 1 and "valueFrom" in out["spec"]["containers"][0]["env"][0]


def test_expiration_from_the_pod_annotation_wins_over_the_service_account():
    out = mutate_pod(pod(annotations={"azure.workload.identity/service-account-token-expiration": "7200"}),
                     sa({"azure.workload.identity/service-account-token-expiration": "86400"}), CONFIG)
    assert out["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"] == 7200


def test_expiration_from_the_service_account_annotation():
    out = mutate_pod(pod(), sa({"azure.workload.identity/service-account-token-expiration": "86400"}), CONFIG)
    assert out["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"] == 86400


@pytest.mark.parametrize("value", ["3599", "86401", "0", "-5"])
def test_expiration_out_of_range_on_the_pod_is_an_admission_error(value):
    with pytest.raises(AdmissionDenied) as e:
        mutate_pod(pod(annotations={"azure.workload.identity/service-account-token-expiration": value}), sa(), CONFIG)
    assert e.value.status == 400
    assert e.value.message == f"token expiration {int(value)} not valid. Expected value to be between 3600 and 86400"
    assert e.value.api_message == ('admission webhook "mutation.azure-workload-identity.io" denied the request: '
                                   f"token expiration {int(value)} not valid. Expected value to be between 3600 and "
                                   "86400")


def test_expiration_out_of_range_on_the_service_account_is_an_admission_error():
    with pytest.raises(AdmissionDenied) as e:
        mutate_pod(pod(), sa({"azure.workload.identity/service-account-token-expiration": "100"}), CONFIG)
    assert e.value.message == "token expiration 100 not valid. Expected value to be between 3600 and 86400"


def test_expiration_that_is_not_a_number_fails_with_the_go_parse_error():
    with pytest.raises(AdmissionDenied) as e:
        mutate_pod(pod(annotations={"azure.workload.identity/service-account-token-expiration": "1h"}), sa(), CONFIG)
    assert e.value.message == 'strconv.ParseInt: parsing "1h": invalid syntax'


def test_skip_containers_with_spaces_leaves_those_containers_alone():
    containers = [{"name": "ai-service", "image": "x"}, {"name": "sidecar", "image": "y"},
                  {"name": "logger", "image": "z"}]
    out = mutate_pod(pod(annotations={"azure.workload.identity/skip-containers": " sidecar ; logger"},
                         containers=containers), sa({"azure.workload.identity/client-id": CLIENT}), CONFIG)
    first, second, third = out["spec"]["containers"]
    assert "AZURE_CLIENT_ID" in env_of(first) and first["volumeMounts"]
    assert "env" not in second and "volumeMounts" not in second
    assert "env" not in third and "volumeMounts" not in third
    assert out["spec"]["volumes"][0]["name"] == "azure-identity-token"


def test_init_containers_are_mutated_and_can_be_skipped():
    init = [{"name": "migrate", "image": "m"}, {"name": "wait", "image": "w"}]
    out = mutate_pod(pod(annotations={"azure.workload.identity/skip-containers": "wait"}, init=init),
                     sa({"azure.workload.identity/client-id": CLIENT}), CONFIG)
    migrate, wait = out["spec"]["initContainers"]
    assert env_of(migrate)["AZURE_CLIENT_ID"] == CLIENT
    assert migrate["volumeMounts"][0]["mountPath"] == "/var/run/secrets/azure/tokens"
    assert "env" not in wait


def test_existing_token_volume_is_not_added_twice():
    volumes = [{"name": "my-token", "projected": {"sources": [{"serviceAccountToken": {
        "path": "azure-identity-token", "expirationSeconds": 7200, "audience": "api://AzureADTokenExchange"}}]}}]
    out = mutate_pod(pod(volumes=volumes), sa({"azure.workload.identity/client-id": CLIENT}), CONFIG)
    assert out["spec"]["volumes"] == volumes


def test_existing_mount_of_that_name_is_not_added_twice():
    containers = [{"name": "c", "image": "x", "volumeMounts": [{"name": "azure-identity-token", "mountPath": "/t"}]}]
    out = mutate_pod(pod(containers=containers), sa(), CONFIG)
    assert out["spec"]["containers"][0]["volumeMounts"] == [{"name": "azure-identity-token", "mountPath": "/t"}]


def test_service_account_defaults_to_default():
    p = pod(sa_name=None)
    del p["spec"]["serviceAccountName"]
    hook = webhook({("default", "default"): sa({"azure.workload.identity/client-id": CLIENT}, name="default")})
    assert env_of(hook.admit(p, "default")["spec"]["containers"][0])["AZURE_CLIENT_ID"] == CLIENT


def test_missing_service_account_is_an_admission_error():
    with pytest.raises(AdmissionDenied) as e:
        webhook({}).admit(pod(), "default")
    assert e.value.message == 'serviceaccounts "ai-service-account" not found'


def test_service_account_is_looked_up_in_the_pod_namespace():
    account = sa({"azure.workload.identity/client-id": CLIENT})
    hook = webhook({("shop", "ai-service-account"): account})
    out = hook.admit(pod(), "shop")
    assert env_of(out["spec"]["containers"][0])["AZURE_CLIENT_ID"] == CLIENT
    with pytest.raises(AdmissionDenied):
        hook.admit(pod(), "default")


# -- through the API server, with the kubernetes client ---------------------------------------
RG, CLUSTER = "myResourceGroup", "myAKSCluster"


@pytest.fixture
def core(clients):
    import yaml
    from kubernetes import client, config

    value = clients.aks().managed_clusters.list_cluster_user_credentials(RG, CLUSTER).kubeconfigs[0].value
    api = config.new_client_from_config_dict(yaml.safe_load(value.decode()))
    yield client.CoreV1Api(api)
    api.close()


def _labelled_pod(name, annotations=None, label="true"):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"azure.workload.identity/use": label},
                         "annotations": annotations or {}},
            "spec": {"serviceAccountName": "workload", "containers": [{"name": "app", "image": "busybox:1.36"}]}}


def _create_sa(core, client_id=CLIENT):
    core.create_namespaced_service_account("default", {"metadata": {"name": "workload", "annotations": {
        "azure.workload.identity/client-id": client_id}}})


def test_api_server_mutates_a_labelled_pod_when_workload_identity_is_on(clients, core):
    enable_workload_identity(clients.aks(), RG, CLUSTER)
    _create_sa(core)
    pod = core.create_namespaced_pod("default", _labelled_pod("wi-pod"))
    env = {e.name: e.value for e in pod.spec.containers[0].env}
    assert env == {"AZURE_CLIENT_ID": CLIENT, "AZURE_TENANT_ID": clients.info.tenant_id,
                   "AZURE_FEDERATED_TOKEN_FILE": "/var/run/secrets/azure/tokens/azure-identity-token",
                   "AZURE_AUTHORITY_HOST": clients.info.url + "/"}
    volume = next(v for v in pod.spec.volumes if v.name == "azure-identity-token")
    source = volume.projected.sources[0].service_account_token
    assert (source.path, source.expiration_seconds, source.audience) == ("azure-identity-token", 3600,
                                                                         "api://AzureADTokenExchange")
    stored = core.read_namespaced_pod("wi-pod", "default")
    assert {e.name for e in stored.spec.containers[0].env} == set(env)


def test_api_server_leaves_pods_alone_while_workload_identity_is_off(core):
    _create_sa(core)
    pod = core.create_namespaced_pod("default", _labelled_pod("plain-pod"))
    assert not pod.spec.containers[0].env
    assert not any(v.name == "azure-identity-token" for v in pod.spec.volumes or [])


def test_api_server_refuses_an_out_of_range_expiration_with_the_webhook_text(clients, core):
    from kubernetes.client.exceptions import ApiException

    enable_workload_identity(clients.aks(), RG, CLUSTER)
    _create_sa(core)
    with pytest.raises(ApiException) as e:
        core.create_namespaced_pod("default", _labelled_pod("bad-exp", {
            "azure.workload.identity/service-account-token-expiration": "100"}))
    assert e.value.status == 400
    body = json.loads(e.value.body)
    assert body["message"] == ('admission webhook "mutation.azure-workload-identity.io" denied the request: '
                               "token expiration 100 not valid. Expected value to be between 3600 and 86400")


def test_a_deployment_whose_pods_are_refused_shows_failed_create(clients, core):
    import yaml
    from kubernetes import client, config

    enable_workload_identity(clients.aks(), RG, CLUSTER)
    _create_sa(core)
    value = clients.aks().managed_clusters.list_cluster_user_credentials(RG, CLUSTER).kubeconfigs[0].value
    apps = client.AppsV1Api(config.new_client_from_config_dict(yaml.safe_load(value.decode())))
    template = _labelled_pod("x", {"azure.workload.identity/service-account-token-expiration": "90000"})
    template["metadata"].pop("name")
    template.pop("apiVersion")
    template.pop("kind")
    template["metadata"]["labels"]["app"] = "refused"
    apps.create_namespaced_deployment("default", {"metadata": {"name": "refused"}, "spec": {
        "replicas": 1, "selector": {"matchLabels": {"app": "refused"}}, "template": template}})
    messages = wait_for(lambda: [ev.message for ev in core.list_namespaced_event("default").items
                                 if ev.reason == "FailedCreate"], 10, "a FailedCreate event")
    assert messages[0] == (
        'Error creating: admission webhook "mutation.azure-workload-identity.io" denied the request: '
        "token expiration 90000 not valid. Expected value to be between 3600 and 86400")
    assert core.list_namespaced_pod("default", label_selector="app=refused").items == []
