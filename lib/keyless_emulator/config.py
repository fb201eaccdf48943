"""How an emulator instance is configured: where it listens, keeps its files, and starts from."""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from resource_names import DNS1123_SUBDOMAIN

DEFAULT_SCENARIO = "before-you-begin"
HOME_ENV = "KEYLESS_HOME"


def default_home() -> Path:
    """The data folder: $KEYLESS_HOME, else `.keyless` under the current directory."""
    env = os.environ.get(HOME_ENV)
    return Path(env).expanduser().resolve() if env else (Path.cwd() / ".keyless").resolve()


HOST_RULE = ("one IP address or DNS name of this machine that clients use to reach it (the server certificate "
             "names it): 127.0.0.1 (the default), another loopback address, or a LAN or VPN address or name; not "
             "0.0.0.0 or :: (every address at once: no certificate can name that)")


def check_host(host: str) -> str:
    """`host` as the emulator listens on it and names it in its URL and certificate; ValueError naming the
    parameter and the rule when it is not one address or name (a wildcard, a malformed name, a URL)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        name = host.lower()
        if DNS1123_SUBDOMAIN.matches(name) and not name.replace(".", "").isdigit():
            return name
        raise ValueError(f"host (--host) must be {HOST_RULE}; {host[:60]!r} is neither an IP address nor a DNS "
                         "name (letters, digits, '-' and '.')") from None
    if address.is_unspecified or address.is_multicast:
        raise ValueError(f"host (--host) must be {HOST_RULE}; got {host!r}")
    return str(address)


DEFAULT_HOSTS = ("127.0.0.1", "::1", "localhost")


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (a loopback address, or localhost)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def is_shared(host: str) -> bool:
    """Whether `host` was chosen to serve others (`--host`): anything but the default loopback names. Another
    loopback address (127.0.0.2) counts too: whoever reaches it is told so, and it is how a test proves it."""
    return host not in DEFAULT_HOSTS


@dataclass
class EmulatorConfig:
    home: Path = field(default_factory=default_home)
    host: str = "127.0.0.1"
    port: int = 0  # 0: the port this data folder used last if it is free, else any free port
    scenario: str = DEFAULT_SCENARIO
    seed: str = "keyless"
    deterministic: bool = True
    latency: str = "instant"
    latency_factor: float = 0.01
    kubelet: bool = True  # run the store apps as local processes (Kubernetes side)
    idle_stop: float = 120.0  # seconds unused before a store app is stopped until its next connection; 0: never

    def __post_init__(self) -> None:
        self.home = Path(self.home).expanduser().resolve()
        self.host = check_host(self.host)
        if not (0 <= int(self.port) <= 65535):
            raise ValueError(f"port must be between 0 and 65535; got {self.port}")
        if not float(self.idle_stop) >= 0:
            raise ValueError(f"idle_stop (--idle-stop) must be 0 (never stop an unused store app) or a number of "
                             f"seconds above 0; got {self.idle_stop}")

    @property
    def shared(self) -> bool:
        """Whether the emulator serves an address chosen for others (a workshop's shared server; see is_shared)."""
        return is_shared(self.host)

    @property
    def runtime_file(self) -> Path:
        return self.home / "emulator.json"

    @property
    def tls_dir(self) -> Path:
        return self.home / "tls"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def log_file(self) -> Path:
        return self.home / "emulator.log"

    @property
    def pods_dir(self) -> Path:
        return self.home / "pods"
