"""Create the Kubernetes ServiceAccount the ai-service pods run as, annotated with the managed
identity's client id (`azure.workload.identity/client-id`): the webhook reads it to tell the
pod which identity to ask Entra for."""
from __future__ import annotations

from typing import Any

from ..kube import Kube, connect
from ..params import Parameters
from ..results import CREATED, PLANNED, UNCHANGED, UPDATED, StepResult
from ..statefile import StateFile
from ._common import explained
from .discover import discovered
from .managed_identity import existing_identity, identity_placeholder, identity_values

CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
SMP = "application/strategic-merge-patch+json"


def kube_for(clients: Any, params: Parameters, state: StateFile) -> Kube:
    found = discovered(clients, params, state)
    return connect(clients, params.resource_group, found["cluster"], params.home)


def not_found(exc: BaseException) -> bool:
    from ..errors import is_kubernetes_error

    return is_kubernetes_error(exc) and getattr(exc, "status", None) == 404


def _command(params: Parameters, client_id: str, cluster: str) -> str:
    return (f"az aks get-credentials -g {params.resource_group} -n {cluster}\n"
            "cat <<EOF | kubectl apply -f -\n"
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n"
            f"  annotations:\n    {CLIENT_ID_ANNOTATION}: {client_id}\n"
            f"  name: {params.service_account}\n  namespace: {params.namespace}\nEOF")


@explained
def create_service_account(clients: Any, params: Parameters, state: StateFile) -> StepResult:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    from .chain import require  # here, not at the top: the chain reads the links these steps build

    require(clients, params, state, "creating the ServiceAccount", ("cluster", "identity", "role", "federation"))
    ident = existing_identity(clients, params, state) if params.dry_run else identity_values(clients, params, state)
    client_id = ident["client_id"] if ident else identity_placeholder(params, "client id")
    kube = kube_for(clients, params, state)
    command = _command(params, client_id, kube.cluster)
    values = {"service_account": f"{params.namespace}/{params.service_account}", CLIENT_ID_ANNOTATION: client_id}
    try:
        sa = kube.core.read_namespaced_service_account(params.service_account, params.namespace)
    except ApiException as e:
        if not not_found(e):
            raise
        sa = None
    if sa is not None:
        current = (sa.metadata.annotations or {}).get(CLIENT_ID_ANNOTATION)
        if current == client_id:
            return StepResult("create-service-account", UNCHANGED,
                              f"the ServiceAccount {params.service_account} already names the identity", values=values,
                              command=command)
        if params.dry_run:
            return StepResult("create-service-account", PLANNED, f"dry run: the ServiceAccount "
                              f"{params.service_account} would be annotated; nothing sent", values=values,
                              changes=[f"set {CLIENT_ID_ANNOTATION}={client_id} on the ServiceAccount "
                                       f"{params.namespace}/{params.service_account} (now {current!r})"],
                              command=command)
        if "service_account" not in state.created:
            state.record_original("service_account_annotation", {"value": current})
        kube.core.patch_namespaced_service_account(
            params.service_account, params.namespace, {"metadata": {"annotations": {CLIENT_ID_ANNOTATION: client_id}}},
            _content_type=SMP)
        return StepResult("create-service-account", UPDATED,
                          f"annotated the existing ServiceAccount {params.service_account} with the client id",
                          values=values, command=command, touched=[f"serviceaccount/{params.service_account}"])
    if params.dry_run:
        return StepResult("create-service-account", PLANNED, f"dry run: the ServiceAccount {params.service_account} "
                          "would be created; nothing sent", values=values, command=command,
                          changes=[f"create the ServiceAccount {params.namespace}/{params.service_account} annotated "
                                   f"{CLIENT_ID_ANNOTATION}={client_id}"])
    body = client.V1ServiceAccount(metadata=client.V1ObjectMeta(
        name=params.service_account, namespace=params.namespace, annotations={CLIENT_ID_ANNOTATION: client_id}))
    ref = {"namespace": params.namespace, "name": params.service_account}
    with state.intent("service_account", ref):
        kube.core.create_namespaced_service_account(params.namespace, body)
    return StepResult("create-service-account", CREATED, f"created the ServiceAccount {params.service_account}",
                      values=values, command=command, touched=[f"serviceaccount/{params.service_account}"])
