"""Everything a request handler may reach: state, keys, settings, and the emulator's own URL."""
from __future__ import annotations

import os
import secrets as _secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .clock import Clock
from .config import EmulatorConfig
from .faults import FaultInjector
from .ids import IdFactory, SecretFactory
from .latency import LatencyProfile, LatencySetting
from .requestlog import RequestLog
from .signing import KeyRing
from .state import EmulatorState
from .tls import TlsFiles


def _instance_key(home: Path) -> bytes:
    path = home / "instance.key"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(_secrets.token_bytes(32))
    return path.read_bytes()


@dataclass
class Backend:
    config: EmulatorConfig
    state: EmulatorState
    keys: KeyRing
    clock: Clock
    log: RequestLog = field(default_factory=RequestLog)
    faults: FaultInjector = field(default_factory=FaultInjector)
    latency: LatencySetting = field(default_factory=LatencySetting)
    tls: TlsFiles | None = None
    base_url: str = ""
    admin_key: str = ""
    # Hooks of other layers (the Kubernetes side): after a scenario loads fn(backend, name);
    # after a tenant is added fn(backend, subscription_id); at shutdown fn(backend).
    after_load: list[Callable[[Backend, str], None]] = field(default_factory=list)
    after_tenant: list[Callable[[Backend, str], None]] = field(default_factory=list)
    on_shutdown: list[Callable[[Backend], None]] = field(default_factory=list)

    @classmethod
    def create(cls, config: EmulatorConfig) -> Backend:
        clock = Clock()
        ids = IdFactory(config.seed, config.deterministic)
        state = EmulatorState(ids, SecretFactory(_instance_key(config.home)), clock)
        backend = cls(config=config, state=state, keys=KeyRing(config.keys_dir), clock=clock,
                      latency=LatencySetting(LatencyProfile(config.latency, config.latency_factor)),
                      admin_key=_secrets.token_urlsafe(32))
        return backend

    @property
    def authority(self) -> str:
        """The Entra authority host (AZURE_AUTHORITY_HOST): the emulator's own URL."""
        return self.base_url
