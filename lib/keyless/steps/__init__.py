"""The article's steps, one module per section. Each step is a function of (clients, parameters,
state) that checks before it acts and returns a `StepResult`."""
from .cleanup import clean_up, plan_clean_up
from .deploy import redeploy_app, remove_pod_label
from .discover import discover
from .federation import create_federated_credential
from .local_auth import disable_key_access
from .managed_identity import create_managed_identity
from .prerequisites import (
    create_cluster,
    create_model_deployment,
    create_openai_account,
    create_resource_group,
    deploy_store,
    wait_for_store_admin,
)
from .role_assignment import assign_openai_role
from .service_account import create_service_account
from .teardown import delete_resource_group, purge_openai_accounts
from .verify import verify
from .workload_identity import enable_workload_identity

__all__ = ["assign_openai_role", "clean_up", "create_cluster", "create_federated_credential", "create_managed_identity",
           "create_model_deployment", "create_openai_account", "create_resource_group", "create_service_account",
           "delete_resource_group", "deploy_store", "disable_key_access", "discover", "enable_workload_identity",
           "plan_clean_up", "purge_openai_accounts", "redeploy_app", "remove_pod_label", "verify",
           "wait_for_store_admin"]
