"""The Azure CLI against a running emulator, in a configuration folder of its own.

az keeps its clouds, settings and MSAL token cache in `AZURE_CONFIG_DIR`. MSAL keys cached
tokens by host without the port, so two emulators (same tenant and client ids in deterministic
mode) sharing one folder would hand each other's tokens around; and registering a cloud or
running `az aks get-credentials` in the learner's own folder changes their real set-up. So every
data folder gets its own az folder (`<data folder>/az`) and its own kubeconfig
(`<data folder>/kube/config`), and nothing here reads or writes `~/.azure` or `~/.kube/config`.

The set-up is az's own commands, unchanged: register the cloud from the emulator's
`/metadata/endpoints` (base URL without a trailing slash), switch MSAL instance discovery,
telemetry and dynamic extension installs off (each would reach a public host), select the cloud,
and log in as the operator service principal.
"""
from __future__ import annotations

import os
import shlex
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .runtime import EmulatorInfo

CLOUD_NAME = "KeylessEmulator"
SETTINGS = ("core.instance_discovery=false", "core.collect_telemetry=false", "extension.use_dynamic_install=no")
SECRET_VARIABLE = "AZURE_CLIENT_SECRET"
LOOPBACK = "127.0.0.1,localhost,::1"


@dataclass(frozen=True)
class AzSetup:
    info: EmulatorInfo

    @property
    def config_dir(self) -> Path:
        return Path(self.info.home) / "az"

    @property
    def kubeconfig(self) -> Path:
        return Path(self.info.home) / "kube" / "config"

    def environment(self) -> dict[str, str]:
        """What a shell needs so that az and kubectl use this emulator's folders and trust its CA."""
        return {"AZURE_CONFIG_DIR": str(self.config_dir), "REQUESTS_CA_BUNDLE": self.info.ca_bundle,
                "KUBECONFIG": str(self.kubeconfig)}

    def cloud_registered(self) -> bool:
        try:
            text = (self.config_dir / "clouds.config").read_text()
        except FileNotFoundError:
            return False
        return f"[{CLOUD_NAME}]" in text

    def commands(self, password: str, *, fresh: bool = True) -> list[list[str]]:
        """az's arguments, in order. Re-registering (after the port changed) unregisters the cloud first."""
        again = [] if fresh else [["cloud", "set", "-n", "AzureCloud"], ["cloud", "unregister", "-n", CLOUD_NAME]]
        return [
            ["config", "set", *SETTINGS, "--only-show-errors"],
            *again,
            ["cloud", "register", "-n", CLOUD_NAME, "--endpoint-resource-manager", self.info.url],
            ["cloud", "set", "-n", CLOUD_NAME],
            ["login", "--service-principal", "--username", self.info.client_id, "--password", password,
             "--tenant", self.info.tenant_id, "--output", "none"],
        ]

    def script(self) -> str:
        """The whole set-up as shell lines; the secret stays in $AZURE_CLIENT_SECRET (from `env`)."""
        lines = [f"# az and kubectl against the keyless emulator at {self.info.url}, isolated in {self.info.home}"]
        lines += [f"export {k}={shlex.quote(v)}" for k, v in self.environment().items()]
        lines.append(f"mkdir -p {shlex.quote(str(self.kubeconfig.parent))}")
        lines.append(f"az cloud show -n {CLOUD_NAME} >/dev/null 2>&1 && az cloud set -n AzureCloud && "
                     f"az cloud unregister -n {CLOUD_NAME}")
        for args in self.commands("$" + SECRET_VARIABLE):
            lines.append("az " + " ".join('"$AZURE_CLIENT_SECRET"' if a == "$" + SECRET_VARIABLE else shlex.quote(a)
                                          for a in args))
        return "\n".join(lines) + "\n"

    def exports(self) -> str:
        return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in self.environment().items())


def closed_loopback_proxy() -> str:
    """A proxy URL on a loopback port nothing listens on: whatever az sends off the machine fails at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def offline_environment(setup: AzSetup, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment az runs in for the set-up: its own folder, the CA, and no way off the machine."""
    env = dict(os.environ if base is None else base)
    env.update(setup.environment())
    proxy = closed_loopback_proxy()
    host = urlsplit(setup.info.url).hostname or ""  # a shared server's LAN or VPN address is reached directly too
    direct = LOOPBACK if host in LOOPBACK.split(",") else f"{LOOPBACK},{host}"
    env.update({"HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "https_proxy": proxy, "http_proxy": proxy,
                "NO_PROXY": direct, "no_proxy": direct, "AZURE_CORE_COLLECT_TELEMETRY": "false"})
    return env


class AzSetupFailed(RuntimeError):
    pass


def run_setup(setup: AzSetup, az: list[str], *, log: Callable[[str], None] | None = None,
              timeout: float = 120.0) -> None:
    """Run the set-up with the az given as a command prefix (e.g. ["az"] or [python, "-m", "azure.cli"])."""
    setup.config_dir.mkdir(parents=True, exist_ok=True)
    setup.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
    env = offline_environment(setup)
    for args in setup.commands(setup.info.client_secret, fresh=not setup.cloud_registered()):
        shown = ["***" if a == setup.info.client_secret else a for a in args]
        if log is not None:
            log("az " + " ".join(shlex.quote(a) for a in shown))
        done = subprocess.run([*az, *args], env=env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).replace(setup.info.client_secret, "***").strip()
            raise AzSetupFailed(f"`az {' '.join(shown)}` exited {done.returncode}: {detail}")
