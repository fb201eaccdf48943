"""User-assigned managed identities and their federated identity credentials — the rules, with
no HTTP in sight. Every entry point takes the state lock itself and commits its write.

Creating an identity registers its service principal in the subscription's tenant; the
document's `clientId`, `principalId` and `tenantId` are that principal's application id,
object id and tenant, so the token the workload later gets carries exactly those ids. A re-PUT
keeps them; a delete removes the identity, its federated credentials and its principal.

Credentials (Microsoft Entra's documented limits): at most 20 per identity; an issuer+subject pair at most once per
identity (matched case-sensitively, as Entra matches it); the parent identity must exist. The
body rules are in documents.py. Each stored credential's meta records `written_at` (clock time
of the write): the Entra side uses it to model the propagation delay before it is honoured.

Concurrency: MSI refuses a credential write while another one under the same identity is in
flight. A write holds its identity for `federation_write_seconds` (a setting; default
`DEFAULT_WRITE_SECONDS`) — `_claim` marks the identity busy until then in the identity's
private meta, `_release` clears it — and a write arriving meanwhile gets 409.
"""
from __future__ import annotations

import asyncio
from typing import Any

from ...state import EmulatorState, Principal
from ..errors import (
    invalid_request_content,
    location_change,
    location_not_available,
    missing_property,
    resource_not_found,
)
from ..resources import catalog
from ..resources import models as resource_models
from ..resources.models import require_group
from . import documents, errors
from .documents import CHILD_TYPE, FIC_TYPE, IDENTITY_TYPE, credential_id, identity_id

MAX_PER_IDENTITY = 20
DEFAULT_WRITE_SECONDS = 0.1
_BUSY = "fic_write_until"


# -- user-assigned identities -------------------------------------------------------------
def find_identity(state: EmulatorState, subscription: str, group: str,
                  name: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(the resource group, the identity or None); 404 ResourceGroupNotFound when the group is missing."""
    group_doc = require_group(state, subscription, group)
    return group_doc, state.resources.get(identity_id(subscription, group_doc["name"], name))


def get_identity(state: EmulatorState, subscription: str, group: str, name: str) -> dict[str, Any]:
    group_doc, doc = find_identity(state, subscription, group, name)
    if doc is None:
        raise resource_not_found(IDENTITY_TYPE, name, group_doc["name"])
    return doc


def list_in_group(state: EmulatorState, subscription: str, group: str) -> list[dict[str, Any]]:
    return resource_models.list_in_group(state, subscription, group, IDENTITY_TYPE)


def list_in_subscription(state: EmulatorState, subscription: str) -> list[dict[str, Any]]:
    return resource_models.list_in_subscription(state, subscription, IDENTITY_TYPE)


def _principal(state: EmulatorState, tenant_id: str, name: str, resource_id: str) -> Principal:
    existing = state.principal_for_resource(resource_id)
    if existing is not None:
        return existing
    return state.add_principal(tenant_id, name, kind="ManagedIdentity", resource_id=resource_id)


def create_or_update_identity(state: EmulatorState, subscription: str, group: str, name: str,
                              body: Any) -> tuple[dict[str, Any], bool]:
    """Create (True) or update (False) an identity; PUT replaces tags and keeps the ids."""
    with state.lock:
        group_doc, existing = find_identity(state, subscription, group, name)
        documents.validate_name(name)  # after the group: Resource Manager checks it before MSI sees the name
        if not isinstance(body, dict):
            raise invalid_request_content("The request content must be a JSON object describing the identity.")
        if not body.get("location"):
            raise missing_property("location")
        location = str(body["location"]).replace(" ", "").lower()
        if not catalog.available(location):
            raise location_not_available(str(body["location"]), IDENTITY_TYPE, catalog.listed())
        if existing is not None and location != existing["location"]:
            raise location_change(existing["name"], existing["location"], group_doc["name"], location)
        sub = state.subscription(subscription)
        assert sub is not None  # the authentication layer has checked it
        resource_id = existing["id"] if existing else identity_id(subscription, group_doc["name"], name)
        principal = _principal(state, sub.tenant_id, existing["name"] if existing else name, resource_id)
        current = (existing or {}).get("properties", {}).get("isolationScope")
        doc = documents.identity_document(resource_id, existing["name"] if existing else name, location,
                                          documents.tags(body, None), documents.isolation_scope(body, current),
                                          principal)
        return state.resources.put(doc), existing is None


def update_identity(state: EmulatorState, subscription: str, group: str, name: str, body: Any) -> dict[str, Any]:
    """PATCH: tags (and isolation scope) change, everything else stays."""
    with state.lock:
        doc = get_identity(state, subscription, group, name)
        if not isinstance(body, dict):
            raise invalid_request_content("The request content must be a JSON object.")
        if body.get("location") and str(body["location"]).replace(" ", "").lower() != doc["location"]:
            raise location_change(doc["name"], doc["location"], doc["id"].split("/")[4],
                                  str(body["location"]))
        doc["tags"] = documents.tags(body, doc.get("tags"))
        doc["properties"]["isolationScope"] = documents.isolation_scope(body, doc["properties"].get("isolationScope"))
        return state.resources.put(doc)


def delete_identity(state: EmulatorState, subscription: str, group: str, name: str) -> bool:
    """True when something was deleted (200), False when there was nothing to delete (204)."""
    with state.lock:
        _, doc = find_identity(state, subscription, group, name)
        if doc is None:
            return False
        principal = state.principal_for_resource(doc["id"])
        state.delete_resource(doc["id"])
        if principal is not None:
            state.remove_principal(principal.object_id)
        return True


# -- federated identity credentials: lookups ----------------------------------------------
def write_seconds(state: EmulatorState) -> float:
    return float(state.settings.get("federation_write_seconds", DEFAULT_WRITE_SECONDS))


def parent(state: EmulatorState, subscription: str, group: str, identity: str, operation: str) -> dict[str, Any]:
    """The identity the credentials hang under; 404 ParentResourceNotFound when it does not exist."""
    group_doc = require_group(state, subscription, group)
    doc = state.resources.get(identity_id(subscription, group_doc["name"], identity))
    if doc is None:
        raise errors.parent_missing(operation, CHILD_TYPE, identity_id(subscription, group_doc["name"], identity))
    return doc


def credentials_of(state: EmulatorState, parent_id: str) -> list[dict[str, Any]]:
    return state.resources.under(parent_id, FIC_TYPE)


def list_credentials(state: EmulatorState, subscription: str, group: str, identity: str) -> list[dict[str, Any]]:
    return credentials_of(state, parent(state, subscription, group, identity, "read")["id"])


def get_credential(state: EmulatorState, subscription: str, group: str, identity: str, name: str) -> dict[str, Any]:
    identity_doc = parent(state, subscription, group, identity, "read")
    doc = state.resources.get(credential_id(identity_doc["id"], name))
    if doc is None:
        raise resource_not_found(f"{IDENTITY_TYPE}/{identity_doc['name']}/federatedIdentityCredentials", name,
                                 identity_doc["id"].split("/")[4])
    return doc


def check_rules(state: EmulatorState, parent_id: str, name: str, properties: dict[str, Any]) -> None:
    """The per-identity rules: at most 20 credentials, each issuer+subject pair once."""
    others = [d for d in credentials_of(state, parent_id) if d["name"].lower() != name.lower()]
    for other in others:
        theirs = other["properties"]
        if theirs["issuer"] == properties["issuer"] and theirs["subject"] == properties["subject"]:
            raise errors.duplicate_issuer_subject()
    if not state.resources.exists(credential_id(parent_id, name)) and len(others) >= MAX_PER_IDENTITY:
        raise errors.too_many(MAX_PER_IDENTITY)


# -- federated identity credentials: the in-flight window ---------------------------------
def _claim(state: EmulatorState, parent_id: str) -> float:
    """Hold the identity for one credential write; 409 while another write holds it. Returns the hold time."""
    now, hold = state.clock.time(), write_seconds(state)
    meta = state.resources.meta(parent_id)
    if meta.get(_BUSY, 0.0) > now:
        raise errors.concurrent_writes(parent_id)
    meta[_BUSY] = now + hold
    return hold


def _release(state: EmulatorState, parent_id: str) -> None:
    if state.resources.exists(parent_id):
        state.resources.meta(parent_id).pop(_BUSY, None)


# -- federated identity credentials: writes -----------------------------------------------
def _store(state: EmulatorState, parent_doc: dict[str, Any], name: str,
           properties: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Write the credential (after the hold); True when it was created."""
    if not state.resources.exists(parent_doc["id"]):
        raise errors.parent_missing("write", CHILD_TYPE, parent_doc["id"])
    check_rules(state, parent_doc["id"], name, properties)
    existing = state.resources.get(credential_id(parent_doc["id"], name))
    doc = {"id": existing["id"] if existing else credential_id(parent_doc["id"], name),
           "name": existing["name"] if existing else name, "type": FIC_TYPE, "properties": properties}
    stored = state.resources.put(doc)
    state.resources.meta(stored["id"])["written_at"] = state.clock.time()
    return stored, existing is None


def _remove(state: EmulatorState, parent_doc: dict[str, Any], name: str) -> bool:
    """True when a credential was deleted (200), False when there was none (204)."""
    the_id = credential_id(parent_doc["id"], name)
    if not state.resources.exists(the_id):
        return False
    state.delete_resource(the_id)
    return True


async def create_or_update_credential(state: EmulatorState, subscription: str, group: str, identity: str,
                                      name: str, body: Any) -> tuple[dict[str, Any], bool]:
    """Check, hold the identity for the write's duration, then store; (document, created)."""
    with state.lock:
        identity_doc = parent(state, subscription, group, identity, "write")
        documents.validate_fic_name(name)
        properties = documents.validate_body(body)
        check_rules(state, identity_doc["id"], name, properties)
        hold = _claim(state, identity_doc["id"])
    try:
        await asyncio.sleep(hold)
        with state.lock:
            return _store(state, identity_doc, name, properties)
    finally:
        with state.lock:
            _release(state, identity_doc["id"])


async def delete_credential(state: EmulatorState, subscription: str, group: str, identity: str, name: str) -> bool:
    """Hold the identity for the write's duration, then delete; True when a credential was deleted."""
    with state.lock:
        identity_doc = parent(state, subscription, group, identity, "delete")
        hold = _claim(state, identity_doc["id"])
    try:
        await asyncio.sleep(hold)
        with state.lock:
            return _remove(state, identity_doc, name)
    finally:
        with state.lock:
            _release(state, identity_doc["id"])
