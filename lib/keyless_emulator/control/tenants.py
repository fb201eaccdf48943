"""Extra tenants for workshops (one per attendee): the name rule and what the operator receives."""
from __future__ import annotations

import re
from typing import Any

from ..backend import Backend
from ..scenarios import SeededTenant, add_tenant

# The name becomes the tenant's initial domain `<name>.onmicrosoft.com` and its operator's
# display name, so it follows a DNS label: lower-case letters, digits and inner hyphens.
TENANT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")
TENANT_NAME_RULE = ("name must be 2-40 characters: lower-case letters, digits and hyphens, starting with a letter "
                    "and not ending with a hyphen")


class TenantSpecError(ValueError):
    pass


class TenantExists(ValueError):
    pass


def tenant_name(body: Any) -> str:
    if not isinstance(body, dict):
        raise TenantSpecError('body must be {"name": "<tenant name>"}')
    unknown = set(body) - {"name"}
    if unknown:
        raise TenantSpecError(f"unknown fields: {', '.join(sorted(unknown))}; only 'name' is accepted")
    name = body.get("name")
    if not isinstance(name, str) or not TENANT_NAME.match(name):
        raise TenantSpecError(TENANT_NAME_RULE + f"; got {name!r}")
    return name


def create(backend: Backend, name: str) -> dict[str, Any]:
    """Seed a tenant like `before-you-begin`; answer its operator's credentials (control API only)."""
    try:
        seeded = add_tenant(backend, name)
    except ValueError as e:  # the only refusal of add_tenant: the name is taken
        raise TenantExists(str(e)) from None
    return {**describe(seeded), "client_secret": backend.state.client_secret(seeded.operator)}


def describe(seeded: SeededTenant) -> dict[str, Any]:
    return {"name": seeded.tenant.name, "tenant_id": seeded.tenant.id, "domain": seeded.tenant.domain,
            "subscription_id": seeded.subscription.id, "client_id": seeded.operator.app_id}


def listing(backend: Backend) -> list[dict[str, Any]]:
    """Every tenant with its subscriptions and operator client id (no secrets)."""
    state = backend.state
    with state.lock:
        out = []
        for t in sorted(state.tenants.values(), key=lambda t: t.name):
            subs = sorted(s.id for s in state.subscriptions.values() if s.tenant_id == t.id)
            operator = next((p for p in sorted(state.principals.values(), key=lambda p: p.object_id)
                             if p.tenant_id == t.id and p.has_secret), None)
            out.append({"name": t.name, "tenant_id": t.id, "domain": t.domain, "subscription_ids": subs,
                        "client_id": operator.app_id if operator else None})
        return out
