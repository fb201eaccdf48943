"""code-server (VS Code in the browser, tests/code_server.py) for the browser suite: one per module on a free
loopback port, with its own home, user data and extensions folders, and nothing that reaches out: no
extension gallery (`EXTENSIONS_GALLERY={}`), telemetry, update checks, experiments or recommendations off,
every proxy-aware request sent to a closed loopback port."""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import requests
from code_server import entry_point
from kit import wait_for
from kit.processes import OFFLINE

from .jupyterlab import free_port

SETTINGS = {
    "telemetry.telemetryLevel": "off", "update.mode": "none", "workbench.enableExperiments": False,
    "extensions.autoCheckUpdates": False, "extensions.autoUpdate": False, "extensions.ignoreRecommendations": True,
    "workbench.startupEditor": "none", "npm.fetchOnlinePackageInfo": False, "git.autofetch": False,
    "security.workspace.trust.enabled": False,
}


@dataclass
class CodeServer:
    url: str
    process: subprocess.Popen[str]
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def start_code_server(root: Path) -> CodeServer:
    entry = entry_point()
    home, data = root / "home", root / "user-data"
    (data / "User").mkdir(parents=True)
    (data / "User" / "settings.json").write_text(json.dumps(SETTINGS, indent=1))
    home.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "KEYLESS_"))}
    env.update(OFFLINE, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local"),
               XDG_CACHE_HOME=str(home / ".cache"), EXTENSIONS_GALLERY="{}")
    log = root / "code-server.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            ["node", str(entry), "--auth", "none", "--bind-addr", f"127.0.0.1:{port}", "--disable-telemetry",
             "--disable-update-check", "--disable-workspace-trust", "--disable-getting-started-override",
             "--user-data-dir", str(data), "--extensions-dir", str(root / "extensions"),
             "--config", str(home / "config.yaml")],
            stdout=out, stderr=subprocess.STDOUT, env=env, text=True)
    server = CodeServer(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_for(lambda: requests.get(server.url + "/healthz", timeout=5).ok, 60, "code-server to answer",
                 ignoring=(requests.ConnectionError,))
    except AssertionError:
        server.stop()
        raise AssertionError(f"code-server did not start; the end of its log:\n{server.log_tail()}") from None
    return server
