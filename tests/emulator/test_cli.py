"""`python -m keyless_emulator start|status|env|stop` as a user runs them: real subprocesses,
a temporary KEYLESS_HOME, any free port. Every process started here is stopped here."""
from __future__ import annotations

import json
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from kit import wait_for
from kit.processes import cli, cli_env, kill_if_alive

from keyless_emulator import runtime

EXPORTED = ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
            "AZURE_AUTHORITY_HOST", "AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_MANAGER_URL"]
RUNTIME_KEYS = ["url", "ca_bundle", "tenant_id", "subscription_id", "client_id", "client_secret", "pid"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data folder with an emulator started by the CLI; stopped (and if need be killed) at the end."""
    folder = tmp_path_factory.mktemp("cli-home")
    started = cli(folder, "start", "--port", "0", "--no-kubelet")
    assert started.returncode == 0, started.stderr
    pid = runtime.read(folder).pid
    yield folder
    cli(folder, "stop")
    kill_if_alive(pid)


def test_start_returns_once_healthy(home):
    info = runtime.read(home)
    health = runtime.health(info.url, info.ca_cert, timeout=1.0)
    assert health is not None and health["status"] == "ok" and health["scenario"] == "before-you-begin"


def test_serve_from_a_fresh_data_folder_answers_health_and_cleans_up_when_terminated(tmp_path):
    """A fresh data folder (so TLS material is made too): `serve` writes its runtime file and answers
    health. How fast is a benchmark's question, not a test's: benchmarks/emulator_bench.py reports the
    start-up time as a ratio against its baseline."""
    proc = subprocess.Popen([sys.executable, "-m", "keyless_emulator", "serve", "--port", "0", "--no-kubelet"],
                            env=cli_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def healthy() -> dict | None:
        assert proc.poll() is None, f"serve exited with {proc.returncode}"
        info = runtime.read(tmp_path)
        return runtime.health(info.url, info.ca_cert, timeout=1.0)
    try:
        health = wait_for(healthy, 30, "the emulator to answer health", interval=0.01,
                          ignoring=(runtime.EmulatorNotRunning,))
        assert health["status"] == "ok" and health["scenario"] == "before-you-begin"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert not runtime.runtime_path(tmp_path).exists(), "serve removes its runtime file when terminated"


def test_runtime_file_holds_what_tools_need_and_is_private(home):
    path = runtime.runtime_path(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    for key in RUNTIME_KEYS:
        assert data[key], key
    assert data["url"].startswith("https://127.0.0.1:")
    assert Path(data["ca_bundle"]).is_file()
    assert runtime.pid_alive(data["pid"])


def test_status_of_a_running_emulator_exits_zero(home):
    result = cli(home, "status")
    assert result.returncode == 0
    assert runtime.read(home).url in result.stdout


def test_status_without_an_emulator_exits_three(tmp_path):
    result = cli(tmp_path, "status")
    assert result.returncode == 3
    assert "not running" in result.stdout and "python -m keyless_emulator start" in result.stdout


def test_env_without_an_emulator_exits_three(tmp_path):
    result = cli(tmp_path, "env")
    assert result.returncode == 3 and "error:" in result.stderr


def test_env_prints_export_lines(home):
    result = cli(home, "env")
    assert result.returncode == 0
    exported = dict(line[len("export "):].split("=", 1) for line in result.stdout.splitlines())
    info = runtime.read(home)
    for name in EXPORTED:
        assert name in exported, name
    assert exported["AZURE_AUTHORITY_HOST"] == info.url
    assert exported["AZURE_RESOURCE_MANAGER_URL"] == info.url + "/"
    assert exported["AZURE_SUBSCRIPTION_ID"] == info.subscription_id


def test_env_json(home):
    result = cli(home, "env", "--json")
    assert result.returncode == 0
    assert set(EXPORTED) <= set(json.loads(result.stdout))


def test_evaluated_env_lets_the_sdks_list_the_resource_group(home):
    """What a user does: eval the exports, then EnvironmentCredential + azure-mgmt-resource."""
    script = textwrap.dedent("""
        import os
        from azure.identity import EnvironmentCredential
        from azure.mgmt.resource.resources import ResourceManagementClient
        credential = EnvironmentCredential(disable_instance_discovery=True)
        client = ResourceManagementClient(credential, os.environ["AZURE_SUBSCRIPTION_ID"],
                                          base_url=os.environ["AZURE_RESOURCE_MANAGER_URL"])
        print(",".join(sorted(g.name for g in client.resource_groups.list())))
    """)
    command = f'eval "$({sys.executable} -m keyless_emulator env)" && {sys.executable} -c "$SCRIPT"'
    result = subprocess.run(["bash", "-c", command], env={**cli_env(home), "SCRIPT": script}, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "myResourceGroup"


def test_second_start_reuses_the_running_emulator(home):
    before = runtime.read(home)
    result = cli(home, "start", "--port", "0", "--no-kubelet")
    assert result.returncode == 0
    after = runtime.read(home)
    assert (after.pid, after.url) == (before.pid, before.url)
    assert f"pid {before.pid}" in result.stdout


def test_stop_removes_the_runtime_file(tmp_path):
    assert cli(tmp_path, "start", "--port", "0", "--no-kubelet").returncode == 0
    pid = runtime.read(tmp_path).pid
    try:
        result = cli(tmp_path, "stop")
        assert result.returncode == 0 and result.stdout.strip() == "stopped"
        assert not runtime.runtime_path(tmp_path).exists()
        assert not runtime.pid_alive(pid)
        again = cli(tmp_path, "stop")
        assert again.returncode == 0 and again.stdout.strip() == "no emulator was running"
        assert cli(tmp_path, "status").returncode == 3
    finally:
        kill_if_alive(pid)


def test_start_with_the_entra_scenario_through_the_runbook_alias(tmp_path):
    """`python -m keyless.emulator start --scenario before-you-begin-entra`: the cluster has Microsoft Entra
    integration, Azure RBAC and local accounts disabled, so its admin credential is refused."""
    import requests

    folder = tmp_path / "entra-home"
    started = subprocess.run([sys.executable, "-m", "keyless.emulator", "start", "--port", "0", "--no-kubelet",
                              "--scenario", "before-you-begin-entra"], env=cli_env(folder), capture_output=True,
                             text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    info = runtime.read(folder)
    try:
        assert runtime.health(info.url, info.ca_cert, timeout=2.0)["scenario"] == "before-you-begin-entra"
        from azure.identity import ClientSecretCredential

        token = ClientSecretCredential(info.tenant_id, info.client_id, info.client_secret, authority=info.url,
                                       disable_instance_discovery=True, connection_verify=info.ca_cert).get_token(
            "https://management.azure.com/.default").token
        cluster = (f"{info.url}/subscriptions/{info.subscription_id}/resourceGroups/myResourceGroup/providers/"
                   "Microsoft.ContainerService/managedClusters/myAKSCluster")
        doc = requests.get(cluster, params={"api-version": "2025-05-01"}, verify=info.ca_cert, timeout=30,
                           headers={"Authorization": f"Bearer {token}"}).json()
        assert doc["properties"]["aadProfile"]["enableAzureRBAC"] is True
        assert doc["properties"]["disableLocalAccounts"] is True
    finally:
        cli(folder, "stop")
        kill_if_alive(info.pid)


@pytest.mark.parametrize("value", ["-5", "nan"])
def test_a_negative_idle_stop_is_refused_before_anything_starts(tmp_path, value):
    result = cli(tmp_path, "start", "--port", "0", "--idle-stop", value)
    assert result.returncode == 2
    assert result.stderr == (f"error: idle_stop (--idle-stop) must be 0 (never stop an unused store app) or a number "
                             f"of seconds above 0; got {float(value)}\nnothing was started.\n")
    assert not runtime.runtime_path(tmp_path).exists()
