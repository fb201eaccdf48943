"""The tests' kit: what many test modules need, spelled once.

- `wait_for(check, timeout, what)`: the one bounded polling helper (tests never sleep a fixed time);
- `enable_workload_identity(aks)` / `begin_enable_workload_identity(aks)`: what
  `az aks update --enable-oidc-issuer --enable-workload-identity` sends, through the real SDK
  (`kit.clusters` also creates a cluster and reads a disabled issuer's future URL);
- `kit.processes`: `cli(home, *args)` runs `python -m keyless_emulator` offline with its own data
  folder, `kill_if_alive(pid)` ends a process a test started;
- the shared emulator fixtures (`kit.fixtures`, loaded for the whole suite by `tests/conftest.py`):
  `emulator` (in-process, no kubelet), `node_emulator` (with the kubelet, so pods run as processes),
  `control` (the `keyless_emulator.ControlClient` of `emulator`) and `fresh` (`emulator` after
  `ControlClient.quiet()`).

The control API is reached only through `keyless_emulator.ControlClient`.
"""
from .clusters import begin_enable_workload_identity, enable_workload_identity
from .polling import wait_for

__all__ = ["begin_enable_workload_identity", "enable_workload_identity", "wait_for"]
