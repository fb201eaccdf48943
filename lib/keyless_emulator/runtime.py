"""The runtime file: how the runbook, the CLI and a user's own tools find a running emulator.

`<home>/emulator.json` (mode 0600: it holds the operator's client secret and the admin key)
is written once the server is listening and removed when it stops.
"""
from __future__ import annotations

import json
import os
import socket
import ssl
import urllib.error
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .client import direct_opener
from .config import default_home


class EmulatorNotRunning(RuntimeError):
    pass


@dataclass
class EmulatorInfo:
    url: str
    port: int
    pid: int
    home: str
    ca_cert: str
    ca_bundle: str
    tenant_id: str
    subscription_id: str
    client_id: str
    client_secret: str
    admin_key: str
    scenario: str | None
    deterministic: bool
    log_file: str
    started_at: str

    @property
    def authority_host(self) -> str:
        return self.url

    @property
    def resource_manager_url(self) -> str:
        return self.url + "/"

    def env(self) -> dict[str, str]:
        """Variables that point the Azure SDKs, az, openai and kubectl-adjacent tools at the emulator."""
        return environment(self.url, self.ca_bundle, self.tenant_id, self.subscription_id, self.client_id,
                           self.client_secret)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def environment(url: str, ca: str, tenant_id: str, subscription_id: str, client_id: str,
                client_secret: str) -> dict[str, str]:
    """The environment that signs a service principal of the emulator in with the SDKs, az and openai:
    the emulator's operator (EmulatorInfo.env) or a workshop attendee (attendees.AttendeeProfile.env)."""
    return {
        "REQUESTS_CA_BUNDLE": ca,
        "SSL_CERT_FILE": ca,
        "AZURE_TENANT_ID": tenant_id,
        "AZURE_CLIENT_ID": client_id,
        "AZURE_CLIENT_SECRET": client_secret,
        "AZURE_AUTHORITY_HOST": url,
        "AZURE_SUBSCRIPTION_ID": subscription_id,
        "AZURE_RESOURCE_MANAGER_URL": url + "/",
        "KEYLESS_EMULATOR_URL": url,
    }


def runtime_path(home: Path | None = None) -> Path:
    return (home or default_home()) / "emulator.json"


def write(info: EmulatorInfo) -> Path:
    path = runtime_path(Path(info.home))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(info.to_json(), f, indent=2)
    tmp.replace(path)
    (path.parent / "last-port").write_text(str(info.port))
    return path


def read(home: Path | None = None) -> EmulatorInfo:
    path = runtime_path(home)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise EmulatorNotRunning(f"no emulator runtime file at {path}; start one with "
                                 "`python -m keyless_emulator start`") from None
    except ValueError as e:
        raise EmulatorNotRunning(f"the runtime file {path} is unreadable ({e}); stop and start the emulator") from None
    return EmulatorInfo(**{k: data.get(k) for k in EmulatorInfo.__dataclass_fields__})  # type: ignore[arg-type]


def remove(home: Path, pid: int) -> None:
    path = runtime_path(home)
    try:
        if json.loads(path.read_text()).get("pid") == pid:
            path.unlink()
    except (FileNotFoundError, ValueError):
        pass


def pid_alive(pid: int) -> bool:
    """Whether process `pid` still runs. A process that has exited but was not yet collected by its
    parent (a zombie: still in the process table, so `kill(pid, 0)` succeeds) has ended. Counting it
    alive made `stop` wait its whole grace period for an emulator its caller had started (and so had to
    collect) and that had long exited. It is not collected here: its parent's own handle (a
    `subprocess.Popen`) still owns its exit status."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _ended_meanwhile(pid)


def _ended_meanwhile(pid: int) -> bool:
    """Linux: /proc/<pid>/stat's state field is Z for a zombie, and the file is gone for a process its parent
    collected since `kill(pid, 0)` answered; elsewhere (no /proc) nothing is known."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return Path("/proc/self/stat").exists()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].startswith("Z")


def health(url: str, ca_cert: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """GET /_emulator/health, trusting only the emulator's CA; None if it does not answer.

    Asked directly, never through a proxy from the environment: the emulator is this machine's, also on a
    shared (LAN or VPN) address that NO_PROXY does not list."""
    try:
        with direct_opener(ca_cert).open(url + "/_emulator/health", timeout=timeout) as r:
            return json.loads(r.read())
    except (urllib.error.URLError, OSError, ValueError, ssl.SSLError):
        return None


def choose_port(host: str, requested: int, home: Path) -> socket.socket:
    """A listening socket: the requested port, else the port this data folder used last, else any."""
    candidates = [requested] if requested else []
    if not requested:
        try:
            candidates.append(int((home / "last-port").read_text().strip()))
        except (FileNotFoundError, ValueError):
            pass
        candidates.append(0)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    last_error: OSError | None = None
    for port in candidates:
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP; with
        # proto 0 every response (headers, then body) waits ~40 ms on Nagle + delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as e:
            sock.close()
            last_error = e
            if requested:
                raise OSError(f"port {requested} on {host} is not available ({e.strerror}); "
                              "choose another with --port, or 0 for any free port") from e
            continue
        sock.listen(128)
        sock.set_inheritable(True)
        return sock
    raise OSError(f"no port available on {host}: {last_error}")
