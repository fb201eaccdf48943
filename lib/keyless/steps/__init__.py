"""The article's steps, one module per section. Each step is a function of (clients, parameters,
state) that checks before it acts and returns a `StepResult`."""
from .cleanup import clean_up, plan_clean_up
from .deploy import redeploy_app, remove_pod_label
from .discover import discover
from .federation import create_federated_credential
from .local_auth import disable_key_access
from .managed_identity import create_managed_identity
from .role_assignment import assign_openai_role
from .service_account import create_service_account
from .verify import verify
from .workload_identity import enable_workload_identity

__all__ = ["assign_openai_role", "clean_up", "create_federated_credential", "create_managed_identity",
           "create_service_account", "disable_key_access",
           "discover", "enable_workload_identity", "plan_clean_up", "redeploy_app",
           "remove_pod_label", "verify"]
