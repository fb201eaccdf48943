"""The API server's authorizer chain (kubernetes/authz), through the kubernetes client and raw HTTPS:
Kubernetes RBAC for service-account tokens (the bootstrap policy, Roles and bindings, exact 403 texts),
the local account bound to cluster-admin, and on an Entra-integrated cluster Microsoft Entra tokens for
the AKS server application authorized by Azure RBAC for Kubernetes (built-in roles at cluster or
namespace scope, AKS's denial reason), with 401 for a wrong audience or an expired token, and
SelfSubjectAccessReview / SubjectAccessReview answering from the same rules."""
from __future__ import annotations

import time
import uuid

import pytest
import requests
from kubernetes import client
from kubernetes.client.rest import ApiException

from keyless_emulator import clusters
from keyless_emulator.entra.tokens import ENTRA_KEY, issuer_for

SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
WRITER = "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb"
READER = "7f6c6a51-bcf8-42ba-9220-52d62157d7db"
AZURE_DENIAL = "User does not have access to the resource in Azure. Update role assignment to allow access."
RG = "myResourceGroup"


def _api(server: str, token: str, ca: str) -> client.ApiClient:
    conf = client.Configuration(host=server)
    conf.api_key = {"authorization": f"Bearer {token}"}
    conf.ssl_ca_cert = ca
    return client.ApiClient(conf)


def _message(e: ApiException) -> str:
    import json

    return json.loads(e.body)["message"]


def _forbidden(call) -> str:
    with pytest.raises(ApiException) as e:
        call()
    assert e.value.status == 403
    return _message(e.value)


# -- Kubernetes RBAC for service accounts ---------------------------------------------------
@pytest.fixture
def sa_token(core) -> str:
    tr = core.create_namespaced_service_account_token("default", "default", client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)))
    return tr.status.token


def test_service_account_without_a_binding_cannot_read_kube_system_secrets(sa_token, server, fresh):
    core = client.CoreV1Api(_api(server, sa_token, fresh.info.ca_cert))
    assert _forbidden(lambda: core.list_namespaced_secret("kube-system")) == (
        'secrets is forbidden: User "system:serviceaccount:default:default" cannot list resource "secrets" in API '
        'group "" in the namespace "kube-system"')
    assert _forbidden(lambda: core.read_namespaced_secret("x", "kube-system")) == (
        'secrets "x" is forbidden: User "system:serviceaccount:default:default" cannot get resource "secrets" in '
        'API group "" in the namespace "kube-system"')
    assert _forbidden(lambda: client.AppsV1Api(_api(server, sa_token, fresh.info.ca_cert))
                      .list_deployment_for_all_namespaces()) == (
        'deployments.apps is forbidden: User "system:serviceaccount:default:default" cannot list resource '
        '"deployments" in API group "apps" at the cluster scope')


def test_role_binding_grants_a_service_account_what_its_role_allows(sa_token, server, fresh, core):
    rbac = client.RbacAuthorizationV1Api(core.api_client)
    rbac.create_namespaced_role("default", client.V1Role(
        metadata=client.V1ObjectMeta(name="cm-reader"),
        rules=[client.V1PolicyRule(api_groups=[""], resources=["configmaps"], verbs=["get", "list"])]))
    rbac.create_namespaced_role_binding("default", client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name="cm-reader"),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name="cm-reader"),
        subjects=[client.RbacV1Subject(kind="ServiceAccount", name="default", namespace="default")]))
    sa = client.CoreV1Api(_api(server, sa_token, fresh.info.ca_cert))
    assert sa.list_namespaced_config_map("default").items is not None
    assert _forbidden(lambda: sa.create_namespaced_config_map("default", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="x")))) == (
        'configmaps is forbidden: User "system:serviceaccount:default:default" cannot create resource '
        '"configmaps" in API group "" in the namespace "default"')
    assert _forbidden(lambda: sa.list_namespaced_config_map("kube-system")).startswith("configmaps is forbidden")


def test_cluster_role_binding_to_view_covers_every_namespace(sa_token, server, fresh, core):
    client.RbacAuthorizationV1Api(core.api_client).create_cluster_role_binding(client.V1ClusterRoleBinding(
        metadata=client.V1ObjectMeta(name="sa-view"),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="view"),
        subjects=[client.RbacV1Subject(kind="ServiceAccount", name="default", namespace="default")]))
    sa = client.CoreV1Api(_api(server, sa_token, fresh.info.ca_cert))
    assert sa.list_namespaced_pod("kube-system").items is not None
    assert _forbidden(lambda: sa.list_namespaced_secret("kube-system")).startswith("secrets is forbidden")


def test_bootstrap_policy_and_aks_component_roles_are_served(core):
    rbac = client.RbacAuthorizationV1Api(core.api_client)
    names = {r.metadata.name for r in rbac.list_cluster_role().items}
    assert {"cluster-admin", "admin", "edit", "view", "system:discovery", "system:basic-user",
            "system:coredns"} <= names
    binding = rbac.read_cluster_role_binding("cluster-admin")
    assert binding.role_ref.name == "cluster-admin" and binding.subjects[0].name == "system:masters"


def test_local_account_is_masterclient_in_system_masters(api):
    review = client.AuthenticationV1Api(api).create_self_subject_review(
        client.V1SelfSubjectReview(api_version="authentication.k8s.io/v1", kind="SelfSubjectReview"))
    assert review.status.user_info.username == "masterclient"
    assert "system:masters" in review.status.user_info.groups
    allowed = client.AuthorizationV1Api(api).create_self_subject_access_review(client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=client.V1ResourceAttributes(
            verb="delete", resource="secrets", namespace="kube-system"))))
    assert allowed.status.allowed is True


def test_access_reviews_answer_from_the_same_rules(sa_token, server, fresh, api):
    sa = client.AuthorizationV1Api(_api(server, sa_token, fresh.info.ca_cert))
    review = sa.create_self_subject_access_review(client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=client.V1ResourceAttributes(
            verb="list", resource="secrets", namespace="kube-system"))))
    assert review.status.allowed is False
    sar = client.AuthorizationV1Api(api).create_subject_access_review(client.V1SubjectAccessReview(
        spec=client.V1SubjectAccessReviewSpec(user="system:serviceaccount:kube-system:coredns",
                                              groups=["system:serviceaccounts", "system:authenticated"],
                                              resource_attributes=client.V1ResourceAttributes(
                                                  verb="watch", resource="endpoints"))))
    assert sar.status.allowed is True
    with pytest.raises(ApiException) as e:  # only cluster-admin may ask about others
        sa.create_subject_access_review(client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
            user="x", resource_attributes=client.V1ResourceAttributes(verb="get", resource="pods"))))
    assert e.value.status == 403


# -- Entra-integrated cluster with Azure RBAC ------------------------------------------------
@pytest.fixture
def entra_cluster(clients, fresh) -> dict:
    body = {"location": "eastus", "properties": {
        "dnsPrefix": "entra", "agentPoolProfiles": [{"name": "nodepool1", "count": 1, "mode": "System"}],
        "aadProfile": {"managed": True, "enableAzureRBAC": True}, "disableLocalAccounts": True}}
    mc = clients.aks().managed_clusters.begin_create_or_update(RG, "entraCluster", body).result()
    doc = fresh.backend.state.resources.get(mc.id)
    return {"id": mc.id, "server": clusters.api_server_url(fresh.backend, doc),
            "local_token": clusters.user_token(fresh.backend, doc)}


@pytest.fixture
def operator(fresh, clients):
    return next(p for p in fresh.backend.state.principals.values() if p.app_id == clients.info.client_id)


def _assign_to(clients, operator, scope: str, role: str) -> None:
    clients.auth().role_assignments.create(scope, str(uuid.uuid4()), {
        "role_definition_id": f"/subscriptions/{clients.sub}/providers/Microsoft.Authorization/roleDefinitions/{role}",
        "principal_id": operator.object_id, "principal_type": "ServicePrincipal"})


def _entra_token(clients) -> str:
    return clients.cred.get_token(f"{SERVER_ID}/.default").token


def test_entra_caller_without_a_kubernetes_role_gets_azure_rbac_403(clients, fresh, entra_cluster, operator):
    core = client.CoreV1Api(_api(entra_cluster["server"], _entra_token(clients), fresh.info.ca_cert))
    assert _forbidden(lambda: core.list_namespaced_pod("default")) == (
        f'pods is forbidden: User "{operator.object_id}" cannot list resource "pods" in API group "" in the '
        f'namespace "default": {AZURE_DENIAL}')


def test_writer_on_a_namespace_may_write_there_and_nowhere_else(clients, fresh, entra_cluster, operator):
    _assign_to(clients, operator, entra_cluster["id"] + "/namespaces/default", WRITER)
    api = _api(entra_cluster["server"], _entra_token(clients), fresh.info.ca_cert)
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    core.create_namespaced_service_account("default", client.V1ServiceAccount(
        metadata=client.V1ObjectMeta(name="workload-identity-sa")))
    assert core.read_namespaced_service_account("workload-identity-sa", "default").metadata.name
    assert apps.list_namespaced_deployment("default").items is not None
    assert _forbidden(lambda: core.list_namespaced_pod("kube-system")).endswith(AZURE_DENIAL)
    assert _forbidden(lambda: core.list_namespace()) == (
        f'namespaces is forbidden: User "{operator.object_id}" cannot list resource "namespaces" in API group "" '
        f'at the cluster scope: {AZURE_DENIAL}')
    assert _forbidden(lambda: client.RbacAuthorizationV1Api(api).list_namespaced_role("default")).endswith(
        AZURE_DENIAL)  # Writer grants no roles or bindings
    review = client.AuthorizationV1Api(api).create_self_subject_access_review(client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=client.V1ResourceAttributes(
            verb="patch", group="apps", resource="deployments", namespace="default"))))
    assert review.status.allowed is True


def test_reader_at_cluster_scope_reads_every_namespace_but_writes_nothing(clients, fresh, entra_cluster, operator):
    _assign_to(clients, operator, entra_cluster["id"], READER)
    core = client.CoreV1Api(_api(entra_cluster["server"], _entra_token(clients), fresh.info.ca_cert))
    assert core.list_namespaced_pod("kube-system").items is not None
    assert _forbidden(lambda: core.create_namespaced_service_account("default", client.V1ServiceAccount(
        metadata=client.V1ObjectMeta(name="x")))).endswith(AZURE_DENIAL)


def _raw_status(server: str, token: str, ca: str) -> tuple[int, dict]:
    r = requests.get(server + "/api/v1/namespaces/default/pods", headers={"Authorization": f"Bearer {token}"},
                     verify=ca, timeout=30)
    return r.status_code, r.json()


UNAUTHORIZED = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Unauthorized",
                "reason": "Unauthorized", "code": 401}


def test_token_for_another_audience_is_401(clients, fresh, entra_cluster):
    arm_token = clients.cred.get_token("https://management.azure.com/.default").token
    assert _raw_status(entra_cluster["server"], arm_token, fresh.info.ca_cert) == (401, UNAUTHORIZED)


def test_expired_entra_token_is_401(clients, fresh, entra_cluster, operator):
    now = int(time.time())
    claims = {"aud": SERVER_ID, "iss": issuer_for(operator.tenant_id), "iat": now - 7200, "nbf": now - 7200,
              "exp": now - 3600, "appid": operator.app_id, "oid": operator.object_id, "sub": operator.object_id,
              "tid": operator.tenant_id, "ver": "1.0"}
    token = fresh.backend.keys.key(ENTRA_KEY).sign(claims)
    assert _raw_status(entra_cluster["server"], token, fresh.info.ca_cert) == (401, UNAUTHORIZED)


def test_local_account_token_is_401_once_local_accounts_are_disabled(fresh, entra_cluster):
    assert _raw_status(entra_cluster["server"], entra_cluster["local_token"], fresh.info.ca_cert) == (401,
                                                                                                       UNAUTHORIZED)


def test_entra_token_is_401_on_a_cluster_without_entra_integration(clients, fresh, server):
    assert _raw_status(server, _entra_token(clients), fresh.info.ca_cert) == (401, UNAUTHORIZED)


def test_admin_groups_of_the_aad_profile_are_cluster_admins(clients, fresh, entra_cluster):
    aks = clients.aks()
    mc = aks.managed_clusters.get(RG, "entraCluster")
    mc.aad_profile.admin_group_object_i_ds = ["11111111-2222-3333-4444-555555555555"]
    aks.managed_clusters.begin_create_or_update(RG, "entraCluster", mc).result()
    doc = fresh.backend.state.resources.get(entra_cluster["id"])
    store = fresh.backend.state.sections["kubernetes"].store_for(doc)
    from keyless_emulator.kubernetes import authz
    from keyless_emulator.kubernetes.authz.attributes import Attributes

    delete_ns = Attributes(verb="delete", resource_request=True, resource="namespaces", name="kube-system")
    member = authz.UserInfo("someone", ("11111111-2222-3333-4444-555555555555", "system:authenticated"),
                            entra_object_id="00000000-0000-0000-0000-0000000000ab")
    outsider = authz.UserInfo("other", ("system:authenticated",),
                              entra_object_id="00000000-0000-0000-0000-0000000000ac")
    assert authz.decide(fresh.backend.state, store, doc, member, delete_ns).allowed is True
    assert authz.decide(fresh.backend.state, store, doc, outsider, delete_ns).allowed is False
