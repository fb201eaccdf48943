"""One in-process emulator for the runbook tests (with the kubelet, so ai-service really runs),
reset to `before-you-begin` before each test; a fresh data folder (state file) per test."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

import keyless
from keyless.emulator import EmulatorConfig, InProcessEmulator, start_in_thread


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    home: Path = tmp_path_factory.mktemp("runbook-emulator")
    emu = start_in_thread(EmulatorConfig(home=home, kubelet=True), write_runtime=True)
    yield emu
    emu.stop()


class Admin:
    """The emulator's control API (reset, request log, faults, snapshot)."""

    def __init__(self, info: Any):
        self.info = info

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        r = requests.request(method, self.info.url + "/_emulator" + path, json=body, verify=self.info.ca_cert,
                             headers={"x-emulator-admin-key": self.info.admin_key}, timeout=30)
        r.raise_for_status()
        return r.json() if r.content else None

    def requests(self) -> list[dict[str, Any]]:
        """What clients sent (the control API's own calls left out)."""
        return [r for r in self("GET", "/requests")["requests"] if not r["path"].startswith("/_emulator")]

    def mutating(self) -> list[str]:
        return [f"{r['method']} {r['path']}" for r in self.requests() if r["mutating"]]

    def clear_requests(self) -> None:
        self("DELETE", "/requests")

    def faults(self, *faults: dict[str, Any]) -> None:
        self("PUT", "/faults", {"faults": list(faults)})


@pytest.fixture
def admin(emulator: InProcessEmulator) -> Admin:
    return Admin(emulator.info)


@pytest.fixture
def fresh(emulator: InProcessEmulator, admin: Admin) -> InProcessEmulator:
    admin("POST", "/reset", {"scenario": "before-you-begin"})
    admin("PUT", "/latency", {"profile": "instant"})
    admin("PUT", "/settings", {"federation_propagation_seconds": 0, "role_propagation_seconds": 0})
    admin("DELETE", "/faults")
    admin.clear_requests()
    return emulator


@pytest.fixture
def params(tmp_path: Path) -> keyless.Parameters:
    return keyless.Parameters(data_dir=str(tmp_path / "data"), rollout_timeout=60, verify_timeout=30)


@pytest.fixture
def rb(fresh: InProcessEmulator, params: keyless.Parameters) -> keyless.Runbook:
    return keyless.init(params, emulator=fresh.info)
