"""keyless — an executable runbook for "Secure access to Azure OpenAI from AKS with Microsoft
Entra Workload ID", and `keyless.emulator`, an offline twin of the Azure and AKS pieces.

The public API of the runbook library, in one place. Names are imported on first use, so
`python -m keyless.emulator` (which imports this package first) does not pay for the Azure
SDKs the runbook needs.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_PUBLIC = {
    "KeylessError": ".errors", "explain": ".errors",
    "Runbook": ".notebook", "StepFailed": ".notebook", "init": ".notebook",
    "ParameterError": ".params", "Parameters": ".params",
    "Check": ".results", "StepResult": ".results",
    "StateFile": ".statefile",
    "assign_openai_role": ".steps", "clean_up": ".steps", "create_federated_credential": ".steps",
    "create_managed_identity": ".steps", "create_service_account": ".steps", "discover": ".steps",
    "enable_workload_identity": ".steps", "redeploy_app": ".steps", "remove_pod_label": ".steps", "verify": ".steps",
    "Clients": ".targets", "connect": ".targets",
}
_RENAMED = {"load_parameters": (".params", "load")}

__all__ = sorted([*_PUBLIC, *_RENAMED])


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name], __name__), name)
    elif name in _RENAMED:
        module, attribute = _RENAMED[name]
        value = getattr(importlib.import_module(module, __name__), attribute)
    else:
        raise AttributeError(f"module 'keyless' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from .errors import KeylessError, explain
    from .notebook import Runbook, StepFailed, init
    from .params import ParameterError, Parameters
    from .params import load as load_parameters
    from .results import Check, StepResult
    from .statefile import StateFile
    from .steps import (assign_openai_role, clean_up, create_federated_credential, create_managed_identity,
                        create_service_account, discover, enable_workload_identity, redeploy_app, remove_pod_label,
                        verify)
    from .targets import Clients, connect
