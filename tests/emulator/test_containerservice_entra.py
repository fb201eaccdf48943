"""Managed clusters with AKS-managed Microsoft Entra integration through azure-mgmt-containerservice:
`aadProfile` and `disableLocalAccounts` on create and update, the exec-plugin user kubeconfig (and the
`azure` format), the admin kubeconfig refused when local accounts are disabled, and the rules AKS applies."""
from __future__ import annotations

import pytest
import yaml
from azure.core.exceptions import HttpResponseError

RG = "myResourceGroup"
SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
LOCAL_ACCOUNTS_DISABLED = ("Getting static credential is not allowed because this cluster is set to disable local "
                           "accounts.")


def _body(**properties):
    return {"location": "eastus", "properties": {
        "dnsPrefix": "entra", "agentPoolProfiles": [{"name": "nodepool1", "count": 1, "mode": "System"}],
        **properties}}


def _entra(aks, name="entraCluster", **extra):
    body = _body(aadProfile={"managed": True, "enableAzureRBAC": True}, disableLocalAccounts=True, **extra)
    return aks.managed_clusters.begin_create_or_update(RG, name, body).result()


def _kubeconfig(result) -> dict:
    return yaml.safe_load(result.kubeconfigs[0].value.decode())


def test_create_with_aad_profile_keeps_what_aks_stores(clients):
    mc = _entra(clients.aks())
    assert mc.aad_profile.managed is True and mc.aad_profile.enable_azure_rbac is True
    assert mc.aad_profile.tenant_id == clients.info.tenant_id  # filled in from the subscription's tenant
    assert mc.disable_local_accounts is True
    again = clients.aks().managed_clusters.get(RG, "entraCluster")
    assert again.aad_profile.managed is True and again.disable_local_accounts is True


def test_update_turns_entra_integration_and_local_accounts_on(clients):
    aks = clients.aks()
    mc = aks.managed_clusters.get(RG, "myAKSCluster")
    assert mc.aad_profile is None and mc.disable_local_accounts is False
    from azure.mgmt.containerservice.models import ManagedClusterAADProfile

    mc.aad_profile = ManagedClusterAADProfile(managed=True, enable_azure_rbac=True, admin_group_object_i_ds=["g1"])
    mc.disable_local_accounts = True
    updated = aks.managed_clusters.begin_create_or_update(RG, "myAKSCluster", mc).result()
    assert updated.aad_profile.enable_azure_rbac is True and updated.aad_profile.admin_group_object_i_ds == ["g1"]
    assert updated.disable_local_accounts is True


def test_user_credential_is_the_kubelogin_exec_plugin(clients):
    _entra(clients.aks())
    config = _kubeconfig(clients.aks().managed_clusters.list_cluster_user_credentials(RG, "entraCluster"))
    user = config["users"][0]
    assert user["name"] == "clusterUser_myResourceGroup_entraCluster"
    assert "token" not in user["user"]  # no secret in an Entra cluster's user kubeconfig
    exec_ = user["user"]["exec"]
    assert exec_["command"] == "kubelogin" and exec_["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    args = exec_["args"]
    assert args[0] == "get-token" and args[args.index("--server-id") + 1] == SERVER_ID
    assert args[args.index("--tenant-id") + 1] == clients.info.tenant_id
    assert args[args.index("--login") + 1] == "devicecode"
    assert "aka.ms/aks/kubelogin" in exec_["installHint"]


def test_user_credential_azure_format_is_the_auth_provider(clients):
    _entra(clients.aks())
    result = clients.aks().managed_clusters.list_cluster_user_credentials(RG, "entraCluster", format="azure")
    provider = _kubeconfig(result)["users"][0]["user"]["auth-provider"]
    assert provider["name"] == "azure" and provider["config"]["apiserver-id"] == SERVER_ID


def test_user_credential_unknown_format_is_refused(clients):
    _entra(clients.aks())
    with pytest.raises(HttpResponseError) as e:
        clients.aks().managed_clusters.list_cluster_user_credentials(RG, "entraCluster", format="bogus")
    assert e.value.status_code == 400 and e.value.error.code == "InvalidParameter"


def test_admin_credential_refused_when_local_accounts_are_disabled(clients):
    _entra(clients.aks())
    with pytest.raises(HttpResponseError) as e:
        clients.aks().managed_clusters.list_cluster_admin_credentials(RG, "entraCluster")
    assert e.value.status_code == 400 and e.value.error.code == "BadRequest"
    assert e.value.error.message == LOCAL_ACCOUNTS_DISABLED


def test_admin_credential_of_a_cluster_with_local_accounts_carries_a_token(clients):
    config = _kubeconfig(clients.aks().managed_clusters.list_cluster_admin_credentials(RG, "myAKSCluster"))
    assert config["users"][0]["name"] == "clusterAdmin_myResourceGroup_myAKSCluster"
    assert config["users"][0]["user"]["token"] and config["current-context"] == "myAKSCluster-admin"


def test_local_accounts_cannot_be_disabled_without_entra_integration(clients):
    with pytest.raises(HttpResponseError) as e:
        clients.aks().managed_clusters.begin_create_or_update(RG, "plain", _body(disableLocalAccounts=True))
    assert e.value.status_code == 400 and e.value.error.code == "BadRequest"
    assert e.value.error.target == "properties.disableLocalAccounts"


def test_azure_rbac_needs_managed_entra_integration(clients):
    with pytest.raises(HttpResponseError) as e:
        clients.aks().managed_clusters.begin_create_or_update(
            RG, "plain", _body(aadProfile={"managed": False, "enableAzureRBAC": True}))
    assert e.value.status_code == 400 and e.value.error.target == "properties.aadProfile.enableAzureRBAC"


def test_entra_integration_cannot_be_turned_off(clients):
    _entra(clients.aks())
    with pytest.raises(HttpResponseError) as e:
        clients.aks().managed_clusters.begin_create_or_update(
            RG, "entraCluster", _body(aadProfile={"managed": False}, disableLocalAccounts=False))
    assert e.value.status_code == 400 and e.value.error.target == "properties.aadProfile.managed"


def test_entra_issues_tokens_for_the_aks_server_application(clients):
    import jwt

    token = clients.cred.get_token(f"{SERVER_ID}/.default").token
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == SERVER_ID
