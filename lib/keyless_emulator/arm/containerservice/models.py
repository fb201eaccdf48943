"""Managed clusters — the rules, with no HTTP in sight.

Every write is long-running. It is planned as a `Write` — what the store holds while the
operation runs (the old document marked "Updating", or the new one marked "Creating"), what it
holds once the operation settles, and the body of the first answer — then committed under the
state lock: the in-progress document is stored and the operation begun with `final`, which
arm/lro.py stores when the operation settles. Handlers get the `lro.Started` back.

Rules enforced here (the managedClusters REST spec; names: lib/resource_names): cluster names, the
group must exist (checked first, as Resource Manager does), If-Match/If-None-Match, and one mutating
operation at a time (409 OperationNotAllowed). The rules on the document's properties live in documents.py.
"""
from __future__ import annotations

import base64
import copy
from dataclasses import dataclass
from typing import Any

import resource_names

from ...backend import Backend
from ...clusters import (
    CLUSTER_TYPE,
    CREDENTIAL_FORMATS,
    cluster_meta,
    issuer_url,
    kubeconfig,
    local_accounts_disabled,
    oidc_enabled,
)
from ...state import EmulatorState, Principal
from .. import lro
from ..errors import invalid_request_content, invalid_resource_name, resource_not_found
from ..resources import models as resource_models
from ..resources.models import require_group
from . import errors
from .documents import DEFAULT_VM_SIZE, build, cluster_id, system_data, tenant_of_subscription, with_state

NAME_RULE = ("Managed cluster names are 1-63 characters of letters, digits, underscores and hyphens, and must start "
             "and end with a letter or a digit.")
USER_CREDENTIAL_NAME = "clusterUser"
ADMIN_CREDENTIAL_NAME = "clusterAdmin"


@dataclass
class Write:
    stored: dict[str, Any]    # what a GET shows while the operation runs
    final: dict[str, Any] | None  # what the store holds once it settles (None: the cluster is gone)
    response: dict[str, Any] | None  # the first answer's body (None: no body)
    created: bool = False


# -- lookups -----------------------------------------------------------------------------
def validate_name(name: str) -> None:
    if not resource_names.MANAGED_CLUSTER.matches(name):
        raise invalid_resource_name(name, CLUSTER_TYPE, NAME_RULE)


def get_cluster(state: EmulatorState, subscription: str, group: str, name: str) -> dict[str, Any]:
    group_doc = require_group(state, subscription, group)
    doc = state.resources.get(cluster_id(subscription, group_doc["name"], name))
    if doc is None:
        raise resource_not_found(CLUSTER_TYPE, name, group_doc["name"])
    return doc


def list_in_group(state: EmulatorState, subscription: str, group: str) -> list[dict[str, Any]]:
    return resource_models.list_in_group(state, subscription, group, CLUSTER_TYPE)


def list_in_subscription(state: EmulatorState, subscription: str) -> list[dict[str, Any]]:
    return resource_models.list_in_subscription(state, subscription, CLUSTER_TYPE)


def ensure_idle(state: EmulatorState, resource_id: str) -> None:
    """409 OperationNotAllowed while another operation on the cluster is running."""
    op = state.pending_operation(resource_id)
    if op is None:
        return
    doc = state.resources.get(resource_id) or {}
    current = (doc.get("properties") or {}).get("provisioningState")
    kind = "delete" if op.kind == "delete" else ("create" if current == "Creating" else "update")
    raise errors.operation_in_progress(kind, op.id, op.start_time[:19] + "Z")


def check_preconditions(existing: dict[str, Any] | None, if_match: str | None, if_none_match: str | None) -> None:
    if if_none_match and if_none_match.strip() == "*" and existing is not None:
        raise errors.already_exists()
    if if_match:
        wanted = if_match.strip().strip('"')
        if existing is None or (wanted != "*" and wanted != existing.get("eTag")):
            raise errors.precondition_failed(existing.get("eTag") if existing else None)


# -- rendering ---------------------------------------------------------------------------
def render(backend: Backend, doc: dict[str, Any]) -> dict[str, Any]:
    """The document as the wire shows it: the issuer URL is never stored, it is rendered here."""
    out = copy.deepcopy(doc)
    if oidc_enabled(out):
        out["properties"]["oidcIssuerProfile"]["issuerURL"] = issuer_url(backend, out)
    return out


def user_credentials(backend: Backend, doc: dict[str, Any], credential_format: str | None = None) -> dict[str, Any]:
    """The user kubeconfig; `format` (azure | exec, default exec) only matters on an Entra-integrated cluster."""
    if credential_format is not None and credential_format.lower() not in CREDENTIAL_FORMATS:
        raise errors.invalid_credential_format(credential_format[:40])
    text = kubeconfig(backend, doc, credential_format=(credential_format or "exec").lower())
    return {"kubeconfigs": [{"name": USER_CREDENTIAL_NAME, "value": base64.b64encode(text.encode()).decode("ascii")}]}


def admin_credentials(backend: Backend, doc: dict[str, Any]) -> dict[str, Any]:
    """The admin kubeconfig (a static credential): refused when the cluster disables local accounts."""
    if local_accounts_disabled(doc):
        raise errors.local_accounts_disabled()
    text = kubeconfig(backend, doc, admin=True)
    return {"kubeconfigs": [{"name": ADMIN_CREDENTIAL_NAME, "value": base64.b64encode(text.encode()).decode("ascii")}]}


def _in_progress(doc: dict[str, Any], provisioning_state: str, *, pools: bool) -> dict[str, Any]:
    out = with_state(doc, provisioning_state)
    if pools:
        for pool in out["properties"].get("agentPoolProfiles") or []:
            pool["provisioningState"] = provisioning_state
    return out


# -- writes ------------------------------------------------------------------------------
def _plan_create_or_update(state: EmulatorState, subscription: str, group: str, name: str, body: Any, *,
                          actor: Principal | None, if_match: str | None = None,
                          if_none_match: str | None = None) -> Write:
    group_doc = require_group(state, subscription, group)  # Resource Manager checks the group before AKS sees the name
    validate_name(name)
    the_id = cluster_id(subscription, group_doc["name"], name)
    ensure_idle(state, the_id)
    existing = state.resources.get(the_id)
    check_preconditions(existing, if_match, if_none_match)
    final = build(state, subscription=subscription, group=group_doc["name"], name=name, body=body,
                  existing=existing, actor=actor)
    if existing is None:
        stored = _in_progress(final, "Creating", pools=True)
        return Write(stored=stored, final=final, response=stored, created=True)
    return Write(stored=_in_progress(existing, "Updating", pools=False), final=final,
                 response=_in_progress(final, "Updating", pools=False))


def _plan_update_tags(state: EmulatorState, subscription: str, group: str, name: str, body: Any, *,
                     actor: Principal | None) -> Write:
    existing = get_cluster(state, subscription, group, name)
    ensure_idle(state, existing["id"])
    if not isinstance(body, dict) or not isinstance(body.get("tags", {}), dict):
        raise invalid_request_content("The request content must be a JSON object of the form {\"tags\": {...}}.")
    final = copy.deepcopy(existing)
    final["tags"] = body.get("tags") or {}
    final["eTag"] = state.ids.guid("etag", existing["id"])
    final["systemData"] = system_data(state, existing, actor)
    return Write(stored=_in_progress(existing, "Updating", pools=False), final=final, response=None)


def _plan_delete(state: EmulatorState, subscription: str, group: str, name: str) -> Write | None:
    """None when there is nothing to delete (the group exists but the cluster does not)."""
    group_doc = require_group(state, subscription, group)
    existing = state.resources.get(cluster_id(subscription, group_doc["name"], name))
    if existing is None:
        return None
    ensure_idle(state, existing["id"])
    return Write(stored=_in_progress(existing, "Deleting", pools=True), final=None, response=None)


def _commit(backend: Backend, write: Write, kind: str) -> lro.Started:
    """Store the in-progress document and begin the operation that stores `final` (or deletes)."""
    stored = backend.state.resources.put(write.stored)
    cluster_meta(backend.state, stored["id"])
    op = lro.begin(backend, resource_id=stored["id"], location=stored["location"], kind=kind, final=write.final)
    return lro.Started(op, write.response, write.created)


def create_or_update_cluster(backend: Backend, subscription: str, group: str, name: str, body: Any, *,
                             actor: Principal | None, if_match: str | None = None,
                             if_none_match: str | None = None) -> lro.Started:
    with backend.state.lock:
        write = _plan_create_or_update(backend.state, subscription, group, name, body, actor=actor,
                                       if_match=if_match, if_none_match=if_none_match)
        return _commit(backend, write, "put")


def update_tags(backend: Backend, subscription: str, group: str, name: str, body: Any, *,
                actor: Principal | None) -> lro.Started:
    with backend.state.lock:
        return _commit(backend, _plan_update_tags(backend.state, subscription, group, name, body, actor=actor), "put")


def delete_cluster(backend: Backend, subscription: str, group: str, name: str) -> lro.Started | None:
    """None when there is nothing to delete (the group exists but the cluster does not)."""
    with backend.state.lock:
        write = _plan_delete(backend.state, subscription, group, name)
        return None if write is None else _commit(backend, write, "delete")


# -- seeding -----------------------------------------------------------------------------
def _operator_of(state: EmulatorState, subscription: str) -> Principal | None:
    tenant = tenant_of_subscription(state, subscription)
    return next((p for p in state.principals.values() if p.tenant_id == tenant and p.has_secret), None)


def seed_cluster(state: EmulatorState, subscription: str, group: str, name: str, location: str, *,
                 workload_identity: bool, oidc_issuer: bool, entra: bool = False) -> dict[str, Any]:
    """A running cluster, as `az aks create --node-count 1` leaves it (no operation to wait for); with `entra`,
    as `--enable-aad --enable-azure-rbac --disable-local-accounts` leave it."""
    properties: dict[str, Any] = {
        "agentPoolProfiles": [{"name": "nodepool1", "count": 1, "vmSize": DEFAULT_VM_SIZE, "mode": "System"}],
        "oidcIssuerProfile": {"enabled": oidc_issuer},
    }
    if workload_identity:
        properties["securityProfile"] = {"workloadIdentity": {"enabled": True}}
    if entra:
        properties["aadProfile"] = {"managed": True, "enableAzureRBAC": True}
        properties["disableLocalAccounts"] = True
    with state.lock:
        group_doc = require_group(state, subscription, group)
        validate_name(name)
        doc = build(state, subscription=subscription, group=group_doc["name"], name=name,
                    body={"location": location, "properties": properties}, existing=None,
                    actor=_operator_of(state, subscription))
        stored = state.resources.put(doc)
        cluster_meta(state, stored["id"])
        return stored

