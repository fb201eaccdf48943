"""The Azure CLI, unchanged, against the emulator: the article's az and kubectl commands.

A pinned azure-cli runs from its own cached virtual environment (tests/azure_cli_venv.py, built on
first use). `python -m keyless_emulator az` sets it up in the data folder's own az folder; every
command runs with HOME in a scratch folder (so nothing can reach the learner's ~/.azure or
~/.kube/config) and with every non-loopback connection sent to a closed loopback proxy (az's
one-time version check to a public host fails there at once: nothing leaves the machine).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure_cli_venv import az_command
from kit import wait_for

import keyless_emulator
from keyless_emulator import EmulatorConfig, InProcessEmulator, start_in_thread
from keyless_emulator.azcli import AzSetup

from .kubernetes.conftest import AI_SERVICE_ACCOUNT, AI_SERVICE_DEPLOYMENT, KUBECTL

pytestmark = [pytest.mark.slow, pytest.mark.kubectl, pytest.mark.timeout(1800)]

RG, CLUSTER, ACCOUNT = "myResourceGroup", "myAKSCluster", "myOpenAIAccount"
IDENTITY, FIC, SA = "myIdentity", "myFedIdentity", "ai-service-account"
ROLE = "Cognitive Services OpenAI User"


def _closed_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Shell:
    """az and kubectl with one emulator's folders, a scratch HOME and no way off the machine."""

    def __init__(self, emu: InProcessEmulator, scratch: Path, az: list[str]):
        self.setup = AzSetup(emu.info)
        self.az_prefix = az
        self.scratch = scratch
        proxy = f"http://127.0.0.1:{_closed_loopback_port()}"
        keep = ("PATH", "LANG", "LC_ALL", "TMPDIR")
        self.env = {k: v for k, v in os.environ.items() if k in keep}
        self.env.update({"HOME": str(scratch), "HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "https_proxy": proxy,
                         "http_proxy": proxy, "NO_PROXY": "127.0.0.1,localhost,::1",
                         "no_proxy": "127.0.0.1,localhost,::1", **self.setup.environment()})

    def keyless_az(self) -> subprocess.CompletedProcess:
        """`python -m keyless_emulator az` as a learner runs it (this tree's package first on the path)."""
        env = dict(self.env, PYTHONPATH=str(Path(keyless_emulator.__file__).parents[1]))
        for name in ("AZURE_CONFIG_DIR", "KUBECONFIG", "REQUESTS_CA_BUNDLE"):
            env.pop(name)
        return subprocess.run([sys.executable, "-m", "keyless_emulator", "--home", self.setup.info.home, "az",
                               "--az", " ".join(self.az_prefix)], env=env, capture_output=True, text=True,
                              timeout=600)

    def az(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([*self.az_prefix, *args], env=self.env, capture_output=True, text=True, timeout=300)
        if check and done.returncode != 0:
            raise AssertionError(f"az {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def az_json(self, *args: str) -> object:
        return json.loads(self.az(*args, "--output", "json").stdout)

    def az_tsv(self, *args: str) -> str:
        return self.az(*args, "--output", "tsv").stdout.strip()

    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(KUBECTL), "--cache-dir", str(self.scratch / "kube-cache"), *args]
        done = subprocess.run(cmd, input=input, env=self.env, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done


@pytest.fixture(scope="module")
def az() -> list[str]:
    return az_command()


@pytest.fixture(scope="module")
def emulator_with_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    emu = start_in_thread(EmulatorConfig(home=tmp_path_factory.mktemp("az-home")), write_runtime=True)
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def shell(emulator_with_node: InProcessEmulator, az: list[str], tmp_path_factory: pytest.TempPathFactory) -> Shell:
    sh = Shell(emulator_with_node, tmp_path_factory.mktemp("az-scratch-home"), az)
    done = sh.keyless_az()
    assert done.returncode == 0, done.stderr
    assert emulator_with_node.info.client_secret not in done.stdout + done.stderr
    return sh


def _manifests(client_id: str, deployment: str, endpoint: str) -> tuple[str, str]:
    """The article's ServiceAccount and keyless ai-service Deployment (the kubectl tests' manifests, with the
    account's real endpoint)."""
    deployment_yaml = AI_SERVICE_DEPLOYMENT.format(deployment=deployment).replace(
        "https://myopenaiaccount.openai.azure.com/", endpoint)
    return AI_SERVICE_ACCOUNT.format(client_id=client_id), deployment_yaml


def test_setup_leaves_the_learners_home_alone(shell: Shell):
    assert not (shell.scratch / ".azure").exists() and not (shell.scratch / ".kube" / "config").exists()
    assert (shell.setup.config_dir / "clouds.config").exists()
    account = shell.az_json("account", "show")
    assert (account["environmentName"], account["id"]) == ("KeylessEmulator", shell.setup.info.subscription_id)


def test_resource_list_shows_times_and_provisioning_state(shell: Shell):
    listed = shell.az_json("resource", "list", "--resource-group", RG)
    assert {r["name"] for r in listed} >= {CLUSTER, ACCOUNT}
    for r in listed:
        assert r["createdTime"] and r["changedTime"] and r["provisioningState"] == "Succeeded", r


def test_the_articles_commands(shell: Shell):
    updated = shell.az_json("aks", "update", "--resource-group", RG, "--name", CLUSTER, "--enable-oidc-issuer",
                            "--enable-workload-identity")
    assert updated["oidcIssuerProfile"]["enabled"] and updated["securityProfile"]["workloadIdentity"]["enabled"]
    issuer = shell.az_tsv("aks", "show", "--resource-group", RG, "--name", CLUSTER,
                          "--query", "oidcIssuerProfile.issuerUrl")
    identity = shell.az_json("identity", "create", "--name", IDENTITY, "--resource-group", RG, "--location", "eastus",
                             "--subscription", shell.setup.info.subscription_id)
    client_id = shell.az_tsv("identity", "show", "--name", IDENTITY, "--resource-group", RG, "--query", "clientId")
    principal_id = shell.az_tsv("identity", "show", "--name", IDENTITY, "--resource-group", RG,
                                "--query", "principalId")
    assert (client_id, principal_id) == (identity["clientId"], identity["principalId"])
    account_id = shell.az_tsv("cognitiveservices", "account", "show", "--name", ACCOUNT, "--resource-group", RG,
                              "--query", "id")
    assign = ("role", "assignment", "create", "--role", ROLE, "--assignee-object-id", principal_id,
              "--assignee-principal-type", "ServicePrincipal", "--scope", account_id)
    first = shell.az_json(*assign)
    # Repeated: ARM answers 409 RoleAssignmentExists, az resolves the existing one (through Graph) and exits 0.
    again = shell.az(*assign, "--output", "json")
    assert again.returncode == 0 and json.loads(again.stdout)["id"] == first["id"]
    listed = shell.az_json("role", "assignment", "list", "--assignee", client_id, "--scope", account_id)
    assert [(a["roleDefinitionName"], a["principalName"]) for a in listed] == [(ROLE, client_id)]
    fic = shell.az_json("identity", "federated-credential", "create", "--name", FIC, "--identity-name", IDENTITY,
                        "--resource-group", RG, "--issuer", issuer,
                        "--subject", f"system:serviceaccount:default:{SA}", "--audience", "api://AzureADTokenExchange")
    assert fic["issuer"] == issuer

    shell.az("aks", "get-credentials", "--resource-group", RG, "--name", CLUSTER,
             "--file", str(shell.setup.kubeconfig), "--overwrite-existing")
    assert shell.setup.kubeconfig.exists() and not (shell.scratch / ".kube" / "config").exists()
    endpoint = shell.az_tsv("cognitiveservices", "account", "show", "--name", ACCOUNT, "--resource-group", RG,
                            "--query", "properties.endpoint")
    deployment = shell.az_tsv("cognitiveservices", "account", "deployment", "list", "--name", ACCOUNT,
                              "--resource-group", RG, "--query", "[0].name")
    service_account, deployment_yaml = _manifests(client_id, deployment, endpoint)
    shell.kubectl("apply", "-f", "-", input=service_account)
    applied = shell.kubectl("apply", "-f", "-", input=deployment_yaml)
    assert "missing the kubectl.kubernetes.io/last-applied-configuration" not in applied.stderr
    shell.kubectl("rollout", "status", "deployment/ai-service", "--timeout=120s")
    pods = shell.kubectl("get", "pods", "--selector", "app=ai-service").stdout
    assert "Running" in pods
    described = _described_once_settled(shell)
    assert "OPENAI_API_KEY" not in described and "AZURE_FEDERATED_TOKEN_FILE" in described
    assert "Started server process" in shell.kubectl("logs", "--selector", "app=ai-service").stdout + \
        shell.kubectl("logs", "--selector", "app=ai-service").stderr
    ip = shell.kubectl("get", "svc", "store-admin", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}").stdout
    assert ip.startswith("127.")


def _described_once_settled(shell: Shell, timeout: float = 60) -> str:
    """`kubectl describe pod --selector app=ai-service` once only the new pod is left."""
    def one_pod() -> str | None:
        out = shell.kubectl("describe", "pod", "--selector", "app=ai-service").stdout
        return out if out.count("\nName:") + out.startswith("Name:") == 1 else None

    return wait_for(one_pod, timeout, "the rollout to leave one ai-service pod", interval=0.5)


def test_a_second_emulator_has_its_own_folder_and_tokens(shell: Shell, az: list[str],
                                                         tmp_path_factory: pytest.TempPathFactory):
    """Same tenant and client ids (deterministic mode), another data folder: no cached token crosses over."""
    other = start_in_thread(EmulatorConfig(home=tmp_path_factory.mktemp("az-home-2"), kubelet=False),
                            write_runtime=True)
    try:
        assert other.info.tenant_id == shell.setup.info.tenant_id
        second = Shell(other, shell.scratch, az)
        done = second.keyless_az()
        assert done.returncode == 0, done.stderr
        assert second.setup.config_dir != shell.setup.config_dir
        assert second.az_tsv("group", "show", "--name", RG, "--query", "name") == RG
        assert shell.az_tsv("group", "show", "--name", RG, "--query", "name") == RG
    finally:
        other.stop()


def test_the_runbook_signs_in_with_the_azure_cli_session(shell: Shell, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    """`az login` is one of the credentials people bring: with az logged into the emulator as a custom
    cloud, the azure target named by the emulator's metadata URL signs in through AzureCliCredential and
    acts as the signed-in operator."""
    import keyless

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "az"  # what a pip-installed az is: the azure.cli module of its own Python
    wrapper.write_text("#!/bin/sh\nexec " + " ".join(shell.az_prefix) + ' "$@"\n')
    wrapper.chmod(0o755)
    for name in [n for n in os.environ if n.startswith("AZURE_")]:
        monkeypatch.delenv(name)
    for name, value in shell.env.items():
        if name != "PATH":
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "AzureCliCredential")
    info = shell.setup.info
    control = keyless_emulator.ControlClient.of(info)
    since = control.call("GET", "/requests")["last_seq"]
    params = keyless.Parameters(target="azure", cloud=f"{info.url}/metadata/endpoints?api-version=2022-09-01",
                                data_dir=str(tmp_path / "data"), identity="cliIdentity")
    rb = keyless.init(params)
    assert rb.clients.credential.used == "AzureCliCredential"
    assert rb.discover().ok
    assert rb.create_managed_identity().status == "created"
    writes = [r for r in control.client_requests(since) if r["mutating"]]
    assert [r["path"].rsplit("/", 1)[-1] for r in writes] == ["cliIdentity"]
    operator = shell.az_tsv("ad", "sp", "show", "--id", info.client_id, "--query", "id")
    assert {r["principal_id"] for r in writes} == {operator}
