"""One tenant's slice of the state, removed or put back to *before-you-begin* on its own.

A workshop gives every attendee a tenant of their own (`scenarios.add_tenant`). Whatever one
attendee breaks must be repairable without touching anyone else, so a reset is scoped to one
tenant: its subscriptions' resources (and with them their clusters' API servers and pods), its
pending operations and its directory's principals go, then the prerequisite article's resources
are seeded again. The tenant, its subscription and its operator principal are kept, so the
credentials already handed to the attendee (their profile, the printed sheet) stay valid: ids
count how often a key was asked for (`ids.py`), so re-creating them would change them.

Faults, latency and settings belong to the emulator as a whole and are left alone; the full
reset (`scenarios.load_scenario`) is the one that starts the whole room over.
"""
from __future__ import annotations

from .backend import Backend
from .scenarios import DEFAULT_TENANT, RESET_SCENARIO, SeededTenant, seed_store_environment
from .state import EmulatorState, Principal, Subscription, Tenant


class TenantNotFound(LookupError):
    pass


class DefaultTenantKept(ValueError):
    """The emulator's own tenant (the runtime file's operator) cannot be removed."""


def find(state: EmulatorState, name: str) -> Tenant:
    for tenant in state.tenants.values():
        if tenant.name == name:
            return tenant
    raise TenantNotFound(f"no tenant named {name!r}; known tenants: "
                         f"{', '.join(sorted(t.name for t in state.tenants.values()))}")


def _subscriptions(state: EmulatorState, tenant: Tenant) -> list[Subscription]:
    return sorted((s for s in state.subscriptions.values() if s.tenant_id == tenant.id), key=lambda s: s.id)


def _operator(state: EmulatorState, tenant: Tenant) -> Principal | None:
    """The tenant's seeded operator: its one application principal with a client secret."""
    return next((p for p in sorted(state.principals.values(), key=lambda p: p.object_id)
                 if p.tenant_id == tenant.id and p.has_secret and p.kind == "ServicePrincipal"), None)


def _wipe(state: EmulatorState, tenant: Tenant, keep: set[str]) -> None:
    """Every resource and operation of the tenant's subscriptions, and its principals but `keep`."""
    for sub in _subscriptions(state, tenant):
        prefix = f"/subscriptions/{sub.id}"
        state.delete_resource(prefix)  # tells the Kubernetes side: deleted clusters drop their pods
        for op_id, op in list(state.operations.items()):
            if op.resource_id.lower().startswith(prefix.lower() + "/"):
                del state.operations[op_id]
    for principal in [p for p in state.principals.values() if p.tenant_id == tenant.id]:
        if principal.object_id not in keep:
            state.remove_principal(principal.object_id)


def remove(backend: Backend, name: str) -> None:
    """The tenant and everything in it; its credentials stop working at once."""
    if name == DEFAULT_TENANT:
        raise DefaultTenantKept(f"the tenant {name!r} is the emulator's own (the runtime file's operator) and cannot "
                                "be removed; a full reset (POST /_emulator/reset) starts it over")
    state = backend.state
    with state.lock:
        tenant = find(state, name)
        _wipe(state, tenant, keep=set())
        for sub in _subscriptions(state, tenant):
            del state.subscriptions[sub.id]
        del state.tenants[tenant.id]


def reset(backend: Backend, name: str) -> SeededTenant:
    """The tenant back to *before-you-begin*, keeping its tenant, subscription and operator (credentials)."""
    from .arm.authorization.models import seed_assignment

    state = backend.state
    with state.lock:
        tenant = find(state, name)
        subs = _subscriptions(state, tenant)
        operator = _operator(state, tenant)
        if not subs or operator is None:
            raise TenantNotFound(f"the tenant {name!r} has no subscription or operator to reset")
        _wipe(state, tenant, keep={operator.object_id})
        seeded = SeededTenant(tenant, subs[0], operator)
        seed_assignment(state, f"/subscriptions/{seeded.subscription.id}", operator.object_id, "Owner",
                        "ServicePrincipal")
        seed_store_environment(backend, seeded)
    if backend.kubernetes is not None:
        backend.kubernetes.tenant_added(seeded.subscription.id, RESET_SCENARIO)
    return seeded
