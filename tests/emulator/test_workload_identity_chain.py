"""The article end to end, through the real clients, with the store apps running as processes.

Happy path: enable OIDC + workload identity (azure-mgmt-containerservice), create the identity,
grant it Cognitive Services OpenAI User on the account, federate it with the service account
(azure-mgmt-msi / azure-mgmt-authorization), create the annotated ServiceAccount and redeploy
ai-service labelled and without a key (kubernetes client); a description request through the API
server's service proxy then succeeds, with no key anywhere in the pod.

Each broken link fails at request time with the real error in the pod log.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from kit import enable_workload_identity, wait_for
from kubernetes.client.exceptions import ConflictException

from .clients import Clients

pytestmark = pytest.mark.slow

RG, CLUSTER, ACCOUNT, DEPLOYMENT = "myResourceGroup", "myAKSCluster", "myOpenAIAccount", "gpt-4o-mini"
IDENTITY, FIC = "myIdentity", "myFederatedCredential"
SA, NAMESPACE = "ai-service-account", "default"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
AI_IMAGE = "ghcr.io/azure-samples/aks-store-demo/ai-service:latest"


@dataclass
class Chain:
    clients: Clients
    kube: Any  # kubernetes.client.ApiClient

    # -- Azure side ------------------------------------------------------------------------
    def enable_workload_identity(self) -> str:
        return enable_workload_identity(self.clients.aks(), RG, CLUSTER)

    def create_identity(self) -> Any:
        return self.clients.msi().user_assigned_identities.create_or_update(RG, IDENTITY, {"location": "eastus"})

    def account_id(self) -> str:
        return self.clients.cognitive().accounts.get(RG, ACCOUNT).id

    def grant_openai_user(self, principal_id: str) -> None:
        self.clients.auth().role_assignments.create(self.account_id(), str(uuid.uuid4()), {
            "role_definition_id": f"/subscriptions/{self.clients.sub}/providers/Microsoft.Authorization/"
                                  f"roleDefinitions/{OPENAI_USER}",
            "principal_id": principal_id, "principal_type": "ServicePrincipal"})

    def federate(self, issuer: str, subject: str = f"system:serviceaccount:{NAMESPACE}:{SA}") -> None:
        self.clients.msi().federated_identity_credentials.create_or_update(RG, IDENTITY, FIC, {
            "issuer": issuer, "subject": subject, "audiences": ["api://AzureADTokenExchange"]})

    def endpoint(self) -> str:
        return self.clients.cognitive().accounts.get(RG, ACCOUNT).properties.endpoint

    # -- Kubernetes side ---------------------------------------------------------------------
    @property
    def core(self):
        from kubernetes import client
        return client.CoreV1Api(self.kube)

    @property
    def apps(self):
        from kubernetes import client
        return client.AppsV1Api(self.kube)

    def service_account(self, client_id: str | None) -> None:
        annotations = {"azure.workload.identity/client-id": client_id} if client_id else {}
        self.core.create_namespaced_service_account(NAMESPACE, {
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": SA, "annotations": annotations}})

    def redeploy_ai_service(self, *, label: bool = True) -> None:
        """The article's ai-service Deployment: labelled, with the service account, and no key. Read and replaced
        again when the Deployment controller's status write lands in between (409 Conflict, as on a cluster)."""
        wait_for(lambda: self._replace_ai_service(label), 30, "the Deployment replaced", ignoring=(ConflictException,))

    def _replace_ai_service(self, label: bool) -> bool:
        deployment = self.apps.read_namespaced_deployment("ai-service", NAMESPACE)
        template = deployment.spec.template
        labels = {"app": "ai-service"}
        if label:
            labels["azure.workload.identity/use"] = "true"
        template.metadata.labels = labels
        template.spec.service_account_name = SA
        container = template.spec.containers[0]
        container.image = AI_IMAGE
        container.env = [{"name": "USE_AZURE_OPENAI", "value": "True"}, {"name": "USE_AZURE_AD", "value": "True"},
                         {"name": "AZURE_OPENAI_DEPLOYMENT_NAME", "value": DEPLOYMENT},
                         {"name": "AZURE_OPENAI_ENDPOINT", "value": self.endpoint()}]
        self.apps.replace_namespaced_deployment("ai-service", NAMESPACE, deployment)
        return True

    def rolled_out_pod(self) -> Any:
        """The only ai-service pod once the new template's pod is ready and the old one is gone."""
        def done():
            pods = self.core.list_namespaced_pod(NAMESPACE, label_selector="app=ai-service").items
            if len(pods) != 1:
                return None
            pod = pods[0]
            env = {e.name for e in pod.spec.containers[0].env or []}
            ready = pod.status.container_statuses and pod.status.container_statuses[0].ready
            return pod if ready and "USE_AZURE_AD" in env else None
        try:
            return wait_for(done, 60, "the new ai-service pod")
        except AssertionError:
            pods = self.core.list_namespaced_pod(NAMESPACE, label_selector="app=ai-service").items
            events = [(e.involved_object.name, e.reason, e.message[:80])
                      for e in self.core.list_namespaced_event(NAMESPACE).items
                      if e.involved_object.name.startswith("ai-service")]
            states = [(p.metadata.name, p.spec.node_name, p.status.phase,
                       [(c.ready, c.restart_count) for c in p.status.container_statuses or []]) for p in pods]
            raise AssertionError(f"ai-service did not roll out: pods {states}; events {events}") from None

    def describe(self) -> tuple[int, Any]:
        """POST /generate/description through the API server's service proxy."""
        path = f"/api/v1/namespaces/{NAMESPACE}/services/ai-service:5001/proxy/generate/description"
        method, url, headers, body, _ = self.kube.param_serialize(
            "POST", path, header_params={"Content-Type": "application/json", "Accept": "application/json"},
            body={"name": "Rope toy", "tags": ["dog", "rope"]}, auth_settings=["BearerToken"])
        response = self.kube.call_api(method, url, header_params=headers, body=body, _request_timeout=120)
        data = response.read()
        return response.status, json.loads(data) if data else None

    def log(self, pod: Any, *expected: str, timeout: float = 15.0) -> str:
        """The container's log once it holds every expected text (the app writes it asynchronously); at
        the timeout, the log as it is, for the caller's assertion to show."""
        def read() -> str:
            return self.core.read_namespaced_pod_log(pod.metadata.name, NAMESPACE, container="ai-service")

        def holding_all() -> str:
            text = read()
            return text if all(e in text for e in expected) else ""
        try:
            return wait_for(holding_all, timeout, f"{expected} in the ai-service log")
        except AssertionError:
            return read()


@pytest.fixture
def chain(node_emulator):
    from kubernetes import config as kube_config

    clients = Clients(node_emulator.info)
    clients.control.quiet()  # before-you-begin, no faults, no propagation delays
    credentials = clients.aks().managed_clusters.list_cluster_user_credentials(RG, CLUSTER)
    kube = kube_config.new_client_from_config_dict(yaml.safe_load(credentials.kubeconfigs[0].value.decode()))
    c = Chain(clients, kube)
    wait_for(lambda: c.core.list_namespaced_pod(NAMESPACE, label_selector="app=ai-service").items, 30,
             "the seeded ai-service pod")
    yield c
    kube.close()


def _pod_env(pod) -> dict[str, str]:
    return {e.name: e.value for e in pod.spec.containers[0].env or []}


def test_the_whole_chain_gives_a_description_with_no_key_in_the_pod(chain):
    issuer = chain.enable_workload_identity()
    identity = chain.create_identity()
    chain.grant_openai_user(identity.principal_id)
    chain.federate(issuer)
    chain.service_account(identity.client_id)
    chain.redeploy_ai_service()
    pod = chain.rolled_out_pod()
    env = _pod_env(pod)
    assert "OPENAI_API_KEY" not in env and "AZURE_OPENAI_API_KEY" not in env
    assert env["AZURE_CLIENT_ID"] == identity.client_id
    assert env["AZURE_TENANT_ID"] == chain.clients.info.tenant_id
    assert env["AZURE_FEDERATED_TOKEN_FILE"] == "/var/run/secrets/azure/tokens/azure-identity-token"
    assert env["AZURE_AUTHORITY_HOST"] == chain.clients.info.url + "/"
    mounts = {m.mount_path: (m.name, m.read_only) for m in pod.spec.containers[0].volume_mounts}
    assert mounts["/var/run/secrets/azure/tokens"] == ("azure-identity-token", True)
    status, body = chain.describe()
    assert status == 200, body
    assert isinstance(body["description"], str) and body["description"]
    expected = '"POST /generate/description HTTP/1.1" 200 OK'
    assert expected in chain.log(pod, expected)


def test_label_missing_leaves_the_pod_without_identity(chain):
    issuer = chain.enable_workload_identity()
    identity = chain.create_identity()
    chain.grant_openai_user(identity.principal_id)
    chain.federate(issuer)
    chain.service_account(identity.client_id)
    chain.redeploy_ai_service(label=False)
    pod = chain.rolled_out_pod()
    assert not any(name.startswith("AZURE_") and name != "AZURE_OPENAI_DEPLOYMENT_NAME"
                   and name != "AZURE_OPENAI_ENDPOINT" for name in _pod_env(pod))
    status, body = chain.describe()
    assert status == 500
    assert body["detail"].startswith("Error generating description: DefaultAzureCredential failed to retrieve a "
                                     "token from the included credentials.")
    expected = ("Identity not found", "DefaultAzureCredential failed to retrieve a token")
    log = chain.log(pod, *expected)
    assert all(e in log for e in expected)


def test_client_id_annotation_missing_is_reported_in_the_pod_log(chain):
    issuer = chain.enable_workload_identity()
    identity = chain.create_identity()
    chain.grant_openai_user(identity.principal_id)
    chain.federate(issuer)
    chain.service_account(None)
    chain.redeploy_ai_service()
    pod = chain.rolled_out_pod()
    env = _pod_env(pod)
    assert "AZURE_CLIENT_ID" not in env and "AZURE_FEDERATED_TOKEN_FILE" in env
    status, body = chain.describe()
    message = ("Workload identity was selected but no client ID was provided. Configure the environment with a "
               'client ID or pass a value for "client_id" argument')
    assert (status, body) == (500, {"detail": f"Error generating description: {message}"})
    assert f"ValueError: {message}" in chain.log(pod, f"ValueError: {message}")


def test_subject_mismatch_is_aadsts700213_in_the_pod_log(chain):
    issuer = chain.enable_workload_identity()
    identity = chain.create_identity()
    chain.grant_openai_user(identity.principal_id)
    chain.federate(issuer, subject=f"system:serviceaccount:{NAMESPACE}:another-account")
    chain.service_account(identity.client_id)
    chain.redeploy_ai_service()
    pod = chain.rolled_out_pod()
    status, body = chain.describe()
    assert status == 500 and "AADSTS700213" in body["detail"]
    expected = ("AADSTS700213: No matching federated identity record found for presented assertion subject "
                f"'system:serviceaccount:{NAMESPACE}:{SA}'.",)
    log = chain.log(pod, *expected)
    assert all(e in log for e in expected)


def test_role_missing_is_permission_denied_in_the_pod_log(chain):
    issuer = chain.enable_workload_identity()
    identity = chain.create_identity()
    chain.federate(issuer)
    chain.service_account(identity.client_id)
    chain.redeploy_ai_service()
    pod = chain.rolled_out_pod()
    status, body = chain.describe()
    # openai 3.x words a 401 PermissionDenied body as "Error code: 401 - <message>"
    denied = (f"The principal `{identity.principal_id}` lacks the required data action "
              "`Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action` to perform "
              "`POST /openai/deployments/{deployment-id}/chat/completions` operation.")
    assert (status, body) == (500, {"detail": f"Error generating description: Error code: 401 - {denied}"})
    expected = f"openai.AuthenticationError: Error code: 401 - {denied}"
    assert expected in chain.log(pod, expected)


def test_oidc_issuer_never_enabled_means_no_webhook_and_no_identity(chain):
    identity = chain.create_identity()
    chain.grant_openai_user(identity.principal_id)
    tenant = chain.clients.info.tenant_id
    chain.federate(f"https://eastus.oic.prod-aks.azure.com/{tenant}/{uuid.uuid4()}/")
    chain.service_account(identity.client_id)
    chain.redeploy_ai_service()
    pod = chain.rolled_out_pod()
    env = _pod_env(pod)
    assert "AZURE_CLIENT_ID" not in env and "AZURE_FEDERATED_TOKEN_FILE" not in env
    assert pod.metadata.labels["azure.workload.identity/use"] == "true"
    status, body = chain.describe()
    assert status == 500 and "DefaultAzureCredential failed to retrieve a token" in body["detail"]
    assert "Identity not found" in chain.log(pod, "Identity not found")
