"""Before you begin: find the resource group, the AKS cluster, the Azure OpenAI account and its
model deployment (the prerequisite article's resources), and check they are usable.

Unlike the article's "first match" (`az resource list ... --query [0]`), several candidates are
refused with the list, so the runbook never acts on the wrong cluster.
"""
from __future__ import annotations

from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from ..errors import KeylessError
from ..params import Parameters
from ..results import OK, Check, StepResult
from ..statefile import StateFile
from ._common import explained
from .kube_access import check_kubernetes_access, entra_integrated
from .permissions import caller_may_assign

OPENAI_KINDS = ("OpenAI", "AIServices")
_KEYS = ("resource_group", "location", "cluster", "cluster_id", "openai_account", "openai_account_id",
         "openai_endpoint", "openai_deployment", "model")


def _one(kind: str, names: list[str], wanted: str, param: str, group: str) -> str:
    if wanted:
        for n in names:
            if n.lower() == wanted.lower():
                return n
        raise KeylessError(f"no {kind} named {wanted!r} in resource group {group}"
                           + (f" (found: {', '.join(names)})" if names else ""),
                           f"check the {param} parameter", code="ResourceNotFound")
    if not names:
        raise KeylessError(f"resource group {group} holds no {kind}",
                           "complete the prerequisite article (Deploy an application that uses OpenAI on AKS) first, "
                           f"or set the {param} parameter", code="ResourceNotFound")
    if len(names) > 1:
        raise KeylessError(f"resource group {group} holds several {kind}s: {', '.join(sorted(names))}",
                           f"choose one with the {param} parameter (-p {param} NAME)", code="Ambiguous")
    return names[0]


@explained
def discover(clients: Any, params: Parameters, state: StateFile | None = None) -> StepResult:
    group = params.resource_group
    try:
        rg = clients.resources.resource_groups.get(group)
    except ResourceNotFoundError:
        raise KeylessError(f"resource group {group!r} was not found in subscription {clients.subscription_id}",
                           "check the resource_group and subscription parameters (az group list -o table)",
                           code="ResourceGroupNotFound") from None

    clusters = {c.name: c for c in clients.aks.managed_clusters.list_by_resource_group(group)}
    cluster_name = _one("AKS cluster", list(clusters), params.cluster, "cluster", group)
    cluster = clusters[cluster_name]

    accounts = {a.name: a for a in clients.cognitive.accounts.list_by_resource_group(group)
                if (a.kind or "") in OPENAI_KINDS}
    account_name = _one("Azure OpenAI account", list(accounts), params.openai_account, "openai_account", group)
    account = accounts[account_name]
    props = account.properties
    if not getattr(props, "custom_sub_domain_name", None):
        raise KeylessError(f"the Azure OpenAI account {account_name} has no custom subdomain, which Microsoft Entra "
                           "authentication requires",
                           f"set one: az cognitiveservices account update -n {account_name} -g {group} "
                           "--custom-domain <unique-name>", code="NoCustomSubdomain")

    deployments = {d.name: d for d in clients.cognitive.deployments.list(group, account_name)}
    deployment = _one("model deployment", list(deployments), params.openai_deployment, "openai_deployment",
                      f"{group} (account {account_name})")
    model = getattr(getattr(deployments[deployment].properties, "model", None), "name", "") or ""
    may_assign = caller_may_assign(clients, group, account_name)
    if may_assign is False:
        raise KeylessError(f"you may not create role assignments on the Azure OpenAI account {account_name}, which "
                           "the runbook needs to grant the identity access (least privilege: at the account's scope)",
                           "nothing was changed; ask for Owner or User Access Administrator on the account (or its "
                           "resource group), then run this notebook again", code="AuthorizationFailed")

    # an Entra-integrated cluster: may the signed-in identity do in the namespace what the runbook will do?
    kube_check = check_kubernetes_access(clients, params, cluster) if entra_integrated(cluster) else None

    values = {"resource_group": rg.name, "location": params.location or rg.location, "cluster": cluster.name,
              "cluster_id": cluster.id, "openai_account": account.name, "openai_account_id": account.id,
              "openai_endpoint": props.endpoint, "openai_deployment": deployment, "model": model}
    if state is not None:
        state.remember(**values, params_key=_params_key(params))
    return StepResult(
        "discover", OK, f"found cluster {cluster.name} and Azure OpenAI account {account.name} "
                        f"(deployment {deployment}) in {rg.name}",
        values=values,
        checks=([Check("you may create role assignments on the account", True,
                       "Microsoft.Authorization/roleAssignments/write")] if may_assign else [])
        + ([kube_check] if kube_check else []),
        command=(f"az group show -n {group}\n"
                 f"az aks list -g {group} --query '[].name'\n"
                 f"az cognitiveservices account list -g {group} --query \"[?kind=='OpenAI'].name\"\n"
                 f"az cognitiveservices account deployment list -g {group} -n {account.name} --query '[].name'"
                 + (f"\naz aks get-credentials -g {group} -n {cluster.name}"
                    "\nkubelogin convert-kubeconfig -l azurecli   # the kubeconfig's user signs in as az does"
                    f"\nkubectl auth can-i create serviceaccounts -n {params.namespace}"
                    f"\nkubectl auth can-i patch deployments.apps -n {params.namespace}" if kube_check else "")))


def _params_key(params: Parameters) -> str:
    return "|".join([params.resource_group, params.cluster, params.openai_account, params.openai_deployment,
                     params.location]).lower()


def discovered(clients: Any, params: Parameters, state: StateFile) -> dict[str, Any]:
    """What discovery found, from the state file when it matches these parameters, else afresh."""
    d = state.discovered
    if d.get("params_key") == _params_key(params) and all(k in d for k in _KEYS):
        return dict(d)
    discover(clients, params, state)
    return dict(state.discovered)
