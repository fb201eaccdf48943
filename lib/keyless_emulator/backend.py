"""Everything a request handler may reach: state, keys, settings, and the emulator's own URL."""
from __future__ import annotations

import os
import secrets as _secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .clock import Clock
from .config import EmulatorConfig
from .faults import FaultInjector
from .ids import IdFactory, SecretFactory
from .latency import LatencyProfile, LatencySetting
from .openai.calls import DataPlaneCalls
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


class ClusterSide(Protocol):
    """What the backend tells the Kubernetes side of the clusters (attached by `assembly.assemble`)."""

    def scenario_loaded(self, scenario: str) -> None: ...

    def tenant_added(self, subscription_id: str, scenario: str | None = None) -> None: ...

    def shutdown(self) -> None: ...


@dataclass
class Backend:
    config: EmulatorConfig
    state: EmulatorState
    keys: KeyRing
    clock: Clock
    log: RequestLog = field(default_factory=RequestLog)
    # Azure OpenAI's record of who called it and how (never the credential): see openai/calls.py
    openai_calls: DataPlaneCalls = field(default_factory=DataPlaneCalls)
    faults: FaultInjector = field(default_factory=FaultInjector)
    latency: LatencySetting = field(default_factory=LatencySetting)
    tls: TlsFiles | None = None
    base_url: str = ""
    admin_key: str = ""
    # The clusters' Kubernetes side and their node, attached by the assembly (assembly.py); None
    # for a backend with Resource Manager only.
    kubernetes: ClusterSide | None = None

    @classmethod
    def create(cls, config: EmulatorConfig) -> Backend:
        clock = Clock()
        ids = IdFactory(config.seed, config.deterministic)
        state = EmulatorState(ids, SecretFactory(_instance_key(config.home)), clock)
        backend = cls(config=config, state=state, keys=KeyRing(config.keys_dir), clock=clock,
                      latency=LatencySetting(LatencyProfile(config.latency, config.latency_factor)),
                      admin_key=_secrets.token_urlsafe(32))
        return backend

    def shutdown(self) -> None:
        """Stop what runs beside the request handlers (the node's processes and forwarders)."""
        if self.kubernetes is not None:
            self.kubernetes.shutdown()

    @property
    def authority(self) -> str:
        """The Entra authority host (AZURE_AUTHORITY_HOST): the emulator's own URL."""
        return self.base_url
