"""The pinned kubectl against an Entra-integrated cluster with the runbook's exec credential plugin
(`python -m keyless.kubelogin`): the kubeconfig listClusterUserCredential hands out (kubelogin),
converted as `kubelogin convert-kubeconfig -l <mode>` converts it, then `kubectl get pods` and the
article's ServiceAccount applied with Azure Kubernetes Service RBAC Writer on the namespace, and
AKS's 403 without it. The plugin signs in with the emulator's exported environment."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from keyless import kubelogin

from .conftest import AI_SERVICE_ACCOUNT, KUBECTL

SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
WRITER = "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb"
RG = "myResourceGroup"
AZURE_DENIAL = "User does not have access to the resource in Azure. Update role assignment to allow access."


@pytest.fixture
def entra(clients, fresh, tmp_path):
    body = {"location": "eastus", "properties": {
        "dnsPrefix": "entra", "agentPoolProfiles": [{"name": "nodepool1", "count": 1, "mode": "System"}],
        "aadProfile": {"managed": True, "enableAzureRBAC": True}, "disableLocalAccounts": True}}
    mc = clients.aks().managed_clusters.begin_create_or_update(RG, "entraCluster", body).result()
    result = clients.aks().managed_clusters.list_cluster_user_credentials(RG, "entraCluster")
    config = yaml.safe_load(result.kubeconfigs[0].value.decode())
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    done = subprocess.run([sys.executable, "-m", "keyless.kubelogin", "convert-kubeconfig", "--kubeconfig", str(path),
                           "-l", "spn"], capture_output=True, text=True, timeout=60, env=_env(fresh, tmp_path))
    assert done.returncode == 0, done.stderr
    return mc, path


def _env(fresh, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "AZURE_"))}
    env.update(fresh.info.env())
    env["HOME"] = str(tmp_path)
    return env


def _kubectl(fresh, tmp_path, path, *args, input=None):
    cmd = [str(KUBECTL), "--kubeconfig", str(path), "--cache-dir", str(tmp_path / "kube-cache"), *args]
    return subprocess.run(cmd, input=input, capture_output=True, text=True, env=_env(fresh, tmp_path), timeout=120)


def _writer_on_default(clients, fresh, cluster_id):
    operator = next(p for p in fresh.backend.state.principals.values() if p.app_id == clients.info.client_id)
    role = f"/subscriptions/{clients.sub}/providers/Microsoft.Authorization/roleDefinitions/{WRITER}"
    clients.auth().role_assignments.create(f"{cluster_id}/namespaces/default", str(uuid.uuid4()), {
        "role_definition_id": role,
        "principal_id": operator.object_id, "principal_type": "ServicePrincipal"})


def test_conversion_points_the_user_at_the_plugin(entra):
    _, path = entra
    exec_ = yaml.safe_load(path.read_text())["users"][0]["user"]["exec"]
    assert exec_["command"] == sys.executable
    assert exec_["args"] == ["-m", "keyless.kubelogin", "get-token", "--server-id", SERVER_ID, "--login", "spn"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"


@pytest.mark.kubectl
def test_kubectl_with_the_plugin_gets_pods_and_applies_the_service_account(clients, fresh, tmp_path, entra):
    mc, path = entra
    _writer_on_default(clients, fresh, mc.id)
    pods = _kubectl(fresh, tmp_path, path, "get", "pods", "-n", "default")
    assert pods.returncode == 0, pods.stderr
    # the plugin says nothing on success (no warning on every kubectl call): only kubectl's own line
    assert pods.stderr == "No resources found in default namespace.\n"
    applied = _kubectl(fresh, tmp_path, path, "apply", "-n", "default", "-f", "-",
                       input=AI_SERVICE_ACCOUNT.format(client_id="00000000-0000-0000-0000-000000000001"))
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.strip() == "serviceaccount/ai-service-account created"
    who = _kubectl(fresh, tmp_path, path, "auth", "whoami", "-o", "json")
    operator = next(p for p in fresh.backend.state.principals.values() if p.app_id == clients.info.client_id)
    assert json.loads(who.stdout)["status"]["userInfo"]["username"] == operator.object_id


@pytest.mark.kubectl
def test_kubectl_without_a_kubernetes_role_gets_aks_403(clients, fresh, tmp_path, entra):
    _, path = entra
    done = _kubectl(fresh, tmp_path, path, "get", "pods", "-n", "default")
    operator = next(p for p in fresh.backend.state.principals.values() if p.app_id == clients.info.client_id)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f'Error from server (Forbidden): pods is forbidden: User "{operator.object_id}" cannot list resource "pods" '
        f'in API group "" in the namespace "default": {AZURE_DENIAL}')


def test_get_token_prints_an_exec_credential_for_the_server_app(fresh, tmp_path):
    import jwt

    env = _env(fresh, tmp_path)
    env["KUBERNETES_EXEC_INFO"] = json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1"})
    done = subprocess.run([sys.executable, "-m", "keyless.kubelogin", "get-token", "--server-id", SERVER_ID,
                           "--login", "spn"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    credential = json.loads(done.stdout)
    assert credential["kind"] == "ExecCredential"
    assert credential["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    claims = jwt.decode(credential["status"]["token"], options={"verify_signature": False})
    assert claims["aud"] == SERVER_ID and credential["status"]["expirationTimestamp"].endswith("Z")


def test_get_token_without_a_credential_names_what_was_tried(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    env["HOME"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "keyless.kubelogin", "get-token", "--login", "spn"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("keyless.kubelogin: sign-in failed")
    assert "service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET): not set up" in done.stderr


def test_get_token_refuses_an_interactive_login_mode(tmp_path):
    done = subprocess.run([sys.executable, "-m", "keyless.kubelogin", "get-token", "--login", "devicecode"],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == 1
    assert done.stderr.startswith("keyless.kubelogin: --login devicecode is not a login mode this plugin offers")


def test_convert_leaves_token_users_alone():
    config = {"users": [{"name": "u", "user": {"token": "t"}}]}
    assert kubelogin.convert(config) == 0 and config["users"][0]["user"] == {"token": "t"}
