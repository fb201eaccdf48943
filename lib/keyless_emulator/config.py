"""How an emulator instance is configured: where it listens, keeps its files, and starts from."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SCENARIO = "before-you-begin"
HOME_ENV = "KEYLESS_HOME"


def default_home() -> Path:
    """The data folder: $KEYLESS_HOME, else `.keyless` under the current directory."""
    env = os.environ.get(HOME_ENV)
    return Path(env).expanduser().resolve() if env else (Path.cwd() / ".keyless").resolve()


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

    def __post_init__(self) -> None:
        self.home = Path(self.home).expanduser().resolve()
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"host must be a loopback address (127.0.0.1, ::1 or localhost); got {self.host!r}")
        if not (0 <= int(self.port) <= 65535):
            raise ValueError(f"port must be between 0 and 65535; got {self.port}")

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
