"""keyless — an executable runbook for "Secure access to Azure OpenAI from AKS with Microsoft
Entra Workload ID". The offline twin of Azure and AKS is its own package, `keyless_emulator`.

The public API of the runbook library, in one place: what notebooks and users may import.
Each name is imported on first use (PEP 562), so `python -m keyless run` — which only runs notebooks, in
a kernel that imports the library itself — and its HTML rendering process do not import the steps; heavy
SDKs are imported inside the functions that use them.
"""
from __future__ import annotations

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from .errors import KeylessError, explain
    from .notebook import Runbook, StepFailed, init
    from .params import ParameterError, Parameters
    from .params import load as load_parameters
    from .results import Check, StepResult
    from .statefile import StateFile
    from .steps import (
        assign_openai_role,
        clean_up,
        create_federated_credential,
        create_managed_identity,
        create_service_account,
        enable_workload_identity,
        redeploy_app,
        remove_pod_label,
    )
    from .steps.discover import discover
    from .steps.verify import verify
    from .targets import Clients, connect

# public name -> (module, name in it)
_EXPORTS = {
    "KeylessError": (".errors", "KeylessError"), "explain": (".errors", "explain"),
    "Runbook": (".notebook", "Runbook"), "StepFailed": (".notebook", "StepFailed"), "init": (".notebook", "init"),
    "ParameterError": (".params", "ParameterError"), "Parameters": (".params", "Parameters"),
    "load_parameters": (".params", "load"), "Check": (".results", "Check"), "StepResult": (".results", "StepResult"),
    "StateFile": (".statefile", "StateFile"), "Clients": (".targets", "Clients"), "connect": (".targets", "connect"),
    **{name: (".steps", name) for name in (
        "assign_openai_role", "clean_up", "create_federated_credential", "create_managed_identity",
        "create_service_account", "discover", "enable_workload_identity", "redeploy_app", "remove_pod_label",
        "verify")},
}

# A literal list, not computed from _EXPORTS: mypy --strict in a user's project treats only the names of a
# literal __all__ as exported (`from keyless import load_parameters` otherwise "does not explicitly export").
__all__ = [
    "Check", "Clients", "KeylessError", "ParameterError", "Parameters", "Runbook", "StateFile", "StepFailed",
    "StepResult", "assign_openai_role", "clean_up", "connect", "create_federated_credential",
    "create_managed_identity", "create_service_account", "discover", "enable_workload_identity", "explain", "init",
    "load_parameters", "redeploy_app", "remove_pod_label", "verify",
]


def __getattr__(name: str) -> _typing.Any:
    if name not in _EXPORTS:  # a submodule not imported yet (`keyless.steps`), as an eager package offered it
        try:
            return _importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    module, attribute = _EXPORTS[name]
    value = getattr(_importlib.import_module(module, __name__), attribute)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
