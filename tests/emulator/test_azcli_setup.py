"""`python -m keyless_emulator az`'s set-up, without az: what it would run, and where it keeps things."""
from __future__ import annotations

import shlex
from pathlib import Path

from keyless_emulator.azcli import CLOUD_NAME, AzSetup, offline_environment


def test_script_registers_the_base_url_without_trailing_slash_in_the_data_folder(fresh):
    setup = AzSetup(fresh.info)
    script = setup.script()
    home = Path(fresh.info.home)
    assert f"export AZURE_CONFIG_DIR={shlex.quote(str(home / 'az'))}" in script
    assert f"export KUBECONFIG={shlex.quote(str(home / 'kube' / 'config'))}" in script
    assert f"az cloud register -n {CLOUD_NAME} --endpoint-resource-manager {fresh.info.url}\n" in script
    assert "core.instance_discovery=false" in script and "extension.use_dynamic_install=no" in script
    assert '--password "$AZURE_CLIENT_SECRET"' in script and fresh.info.client_secret not in script


def test_set_up_runs_offline_in_its_own_folder(fresh):
    setup = AzSetup(fresh.info)
    env = offline_environment(setup, base={"HOME": "/somewhere", "AZURE_CONFIG_DIR": "/learner/.azure"})
    assert env["AZURE_CONFIG_DIR"] == str(Path(fresh.info.home) / "az")
    assert env["HTTPS_PROXY"].startswith("http://127.0.0.1:") and "127.0.0.1" in env["NO_PROXY"]
    assert env["REQUESTS_CA_BUNDLE"] == fresh.info.ca_bundle


def test_a_shared_servers_address_is_reached_directly_too(fresh):
    """Set up against a workshop's shared server (`--host`), az reaches its LAN address without the proxy."""
    from dataclasses import replace

    env = offline_environment(AzSetup(replace(fresh.info, url="https://192.168.1.20:8443")), base={})
    assert env["NO_PROXY"] == env["no_proxy"] == "127.0.0.1,localhost,::1,192.168.1.20"
    assert offline_environment(AzSetup(fresh.info), base={})["NO_PROXY"] == "127.0.0.1,localhost,::1"


def test_a_registered_cloud_is_unregistered_before_registering_again(fresh, tmp_path):
    setup = AzSetup(fresh.info)
    fresh_commands = setup.commands("x", fresh=True)
    again = setup.commands("x", fresh=False)
    assert ["cloud", "unregister", "-n", CLOUD_NAME] not in fresh_commands
    assert again.index(["cloud", "set", "-n", "AzureCloud"]) < again.index(["cloud", "unregister", "-n", CLOUD_NAME]) \
        < again.index(["cloud", "register", "-n", CLOUD_NAME, "--endpoint-resource-manager", fresh.info.url])
