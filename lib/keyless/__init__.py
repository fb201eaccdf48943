"""keyless — an executable runbook for "Secure access to Azure OpenAI from AKS with Microsoft
Entra Workload ID". The offline twin of Azure and AKS is its own package, `keyless_emulator`.

The public API of the runbook library, in one place: what notebooks and users may import.
Heavy SDKs are imported inside the functions that use them, so this stays cheap to import.
"""
from __future__ import annotations

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
    discover,
    enable_workload_identity,
    redeploy_app,
    remove_pod_label,
    verify,
)
from .targets import Clients, connect

__all__ = [
    "Check", "Clients", "KeylessError", "ParameterError", "Parameters", "Runbook", "StateFile", "StepFailed",
    "StepResult", "assign_openai_role", "clean_up", "connect", "create_federated_credential",
    "create_managed_identity", "create_service_account", "discover", "enable_workload_identity", "explain", "init",
    "load_parameters", "redeploy_app", "remove_pod_label", "verify",
]
