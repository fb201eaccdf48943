"""Named starting states. `before-you-begin` is the end state of the prerequisite article:
a tenant with an operator principal that owns a subscription; resource group `myResourceGroup`
(eastus) holding an AKS cluster (workload identity and OIDC issuer off) and an Azure OpenAI
account (custom subdomain, local auth on) with one chat model deployment.

`before-you-begin-entra` is the same start on a cluster with AKS-managed Microsoft Entra integration, Azure
RBAC for Kubernetes authorization and local accounts disabled (`az aks create --enable-aad --enable-azure-rbac
--disable-local-accounts`); the operator holds Azure Kubernetes Service RBAC Writer on the cluster's `default`
namespace (besides Owner of the subscription, which grants no Kubernetes data actions).

In deterministic mode the clock is frozen while a scenario loads, so with the seed's ids every
fresh start yields the same snapshot.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .backend import Backend
from .state import Principal, Subscription, Tenant

DEFAULT_TENANT = "contoso"
RESOURCE_GROUP = "myResourceGroup"
LOCATION = "eastus"
CLUSTER = "myAKSCluster"
OPENAI_ACCOUNT = "myOpenAIAccount"
OPENAI_DEPLOYMENT = "gpt-4o-mini"
OPENAI_MODEL = ("gpt-4o-mini", "2024-07-18")
NAMESPACE = "default"  # where the prerequisite article deploys the store
RESET_SCENARIO = "before-you-begin"  # what a workshop tenant is seeded as, and reset to (tenancy.py)


class UnknownScenario(ValueError):
    pass


@dataclass
class SeededTenant:
    tenant: Tenant
    subscription: Subscription
    operator: Principal


def seed_tenant(backend: Backend, name: str) -> SeededTenant:
    """A tenant, its subscription, and an operator service principal that is Owner of it."""
    from .arm.authorization.models import seed_assignment

    state = backend.state
    tenant = state.add_tenant(name)
    subscription = state.add_subscription(tenant, f"{name.capitalize()} Subscription")
    operator = state.add_principal(tenant.id, f"{name}-operator", has_secret=True)
    seed_assignment(state, f"/subscriptions/{subscription.id}", operator.object_id, "Owner", "ServicePrincipal")
    return SeededTenant(tenant, subscription, operator)


def seed_store_environment(backend: Backend, seeded: SeededTenant, *, entra: bool = False) -> None:
    """The prerequisite article's resources in the tenant's subscription (`entra`: on an Entra-integrated cluster
    with Azure RBAC and local accounts disabled, the operator a Writer on its `default` namespace)."""
    from .arm.cognitiveservices.models import seed_account, seed_deployment
    from .arm.containerservice.models import seed_cluster
    from .arm.resources.models import create_or_update_group

    state, sub = backend.state, seeded.subscription.id
    create_or_update_group(state, sub, RESOURCE_GROUP, {"location": LOCATION})
    cluster = seed_cluster(state, sub, RESOURCE_GROUP, CLUSTER, LOCATION, workload_identity=False, oidc_issuer=False,
                           entra=entra)
    if entra:
        from .arm.authorization.models import seed_assignment

        seed_assignment(state, f"{cluster['id']}/namespaces/{NAMESPACE}", seeded.operator.object_id,
                        "Azure Kubernetes Service RBAC Writer", "ServicePrincipal")
    account = seed_account(state, sub, RESOURCE_GROUP, OPENAI_ACCOUNT, LOCATION,
                           custom_subdomain=f"{OPENAI_ACCOUNT.lower()}-{state.ids.hex('subdomain', sub, length=6)}",
                           local_auth=True)
    seed_deployment(state, account["id"], OPENAI_DEPLOYMENT, model_name=OPENAI_MODEL[0], model_version=OPENAI_MODEL[1])


def empty(backend: Backend) -> None:
    seed_tenant(backend, DEFAULT_TENANT)


def before_you_begin(backend: Backend) -> None:
    seed_store_environment(backend, seed_tenant(backend, DEFAULT_TENANT))


def before_you_begin_entra(backend: Backend) -> None:
    seed_store_environment(backend, seed_tenant(backend, DEFAULT_TENANT), entra=True)


SCENARIOS: dict[str, Callable[[Backend], None]] = {
    "before-you-begin": before_you_begin,
    "before-you-begin-entra": before_you_begin_entra,
    "empty": empty,
}

def load_scenario(backend: Backend, name: str) -> None:
    if name not in SCENARIOS:
        raise UnknownScenario(f"unknown scenario {name!r}; known scenarios: {', '.join(sorted(SCENARIOS))}")
    state = backend.state
    with state.lock:
        state.clear()
        if backend.config.deterministic:
            with backend.clock.frozen():
                SCENARIOS[name](backend)
        else:
            SCENARIOS[name](backend)
        state.scenario = name
    if backend.kubernetes is not None:
        backend.kubernetes.scenario_loaded(name)


def add_tenant(backend: Backend, name: str) -> SeededTenant:
    """Another tenant seeded like `before-you-begin` (one per workshop attendee, for instance)."""
    state = backend.state
    with state.lock:
        if any(t.name == name for t in state.tenants.values()):
            raise ValueError(f"a tenant named {name!r} already exists")
        seeded = seed_tenant(backend, name)
        seed_store_environment(backend, seeded)
    if backend.kubernetes is not None:
        backend.kubernetes.tenant_added(seeded.subscription.id, RESET_SCENARIO)
    return seeded


def default_operator(backend: Backend) -> SeededTenant | None:
    """The first tenant's subscription and operator (what the runtime file advertises)."""
    state = backend.state
    for tenant in state.tenants.values():
        if tenant.name != DEFAULT_TENANT:
            continue
        sub = next((s for s in state.subscriptions.values() if s.tenant_id == tenant.id), None)
        op = next((p for p in state.principals.values() if p.tenant_id == tenant.id and p.has_secret), None)
        if sub and op:
            return SeededTenant(tenant, sub, op)
    return None
