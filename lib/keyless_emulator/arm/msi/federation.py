"""Federated identity credentials of a user-assigned identity — the rules, with no HTTP in sight.

Rules (the REST spec 2024-11-30 and Microsoft Entra's "workload identity federation considerations"
page): the name pattern (lib/resource_names); issuer, subject and audiences all required; exactly one
audience; issuer, subject and audience at most 600 characters, the issuer an absolute https URL;
at most 20 credentials per identity; an issuer+subject pair at most once per identity (matched
case-sensitively, as Entra matches it); the parent identity must exist.

Concurrency: MSI refuses a credential write while another one under the same identity is in
flight. A write here holds its identity for `federation_write_seconds` (a setting; default
`DEFAULT_WRITE_SECONDS`) — `claim` marks the identity busy until then in the identity's private
meta, `release` clears it — and a write arriving meanwhile gets 409.

Each stored credential's meta records `written_at` (clock time of the write): the Entra side
uses it to model the propagation delay before the credential is honoured.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import resource_names

from ...state import EmulatorState
from ..errors import resource_not_found
from ..resources.models import require_group
from . import errors
from .models import IDENTITY_TYPE, identity_id

FIC_TYPE = IDENTITY_TYPE + "/federatedIdentityCredentials"
CHILD_TYPE = "userAssignedIdentities/federatedIdentityCredentials"
MAX_PER_IDENTITY = 20
MAX_FIELD_LENGTH = 600
DEFAULT_WRITE_SECONDS = 0.1
_BUSY = "fic_write_until"


def credential_id(parent_id: str, name: str) -> str:
    return f"{parent_id}/federatedIdentityCredentials/{name}"


def write_seconds(state: EmulatorState) -> float:
    return float(state.settings.get("federation_write_seconds", DEFAULT_WRITE_SECONDS))


# -- lookups -----------------------------------------------------------------------------
def parent(state: EmulatorState, subscription: str, group: str, identity: str, operation: str) -> dict[str, Any]:
    """The identity the credentials hang under; 404 ParentResourceNotFound when it does not exist."""
    group_doc = require_group(state, subscription, group)
    doc = state.resources.get(identity_id(subscription, group_doc["name"], identity))
    if doc is None:
        raise errors.parent_missing(operation, CHILD_TYPE, identity_id(subscription, group_doc["name"], identity))
    return doc


def credentials_of(state: EmulatorState, parent_id: str) -> list[dict[str, Any]]:
    return state.resources.under(parent_id, FIC_TYPE)


def get_credential(state: EmulatorState, subscription: str, group: str, identity: str, name: str) -> dict[str, Any]:
    identity_doc = parent(state, subscription, group, identity, "read")
    doc = state.resources.get(credential_id(identity_doc["id"], name))
    if doc is None:
        raise resource_not_found(f"{IDENTITY_TYPE}/{identity_doc['name']}/federatedIdentityCredentials", name,
                                 identity_doc["id"].split("/")[4])
    return doc


# -- validation --------------------------------------------------------------------------
def validate_name(name: str) -> None:
    if not resource_names.FEDERATED_IDENTITY_CREDENTIAL.matches(name):
        raise errors.invalid_fic_name(name)


def _text(properties: dict[str, Any], field: str) -> str:
    value = properties.get(field)
    if not isinstance(value, str) or not value.strip():
        raise errors.missing_claim(field)
    if len(value) > MAX_FIELD_LENGTH:
        raise errors.bad_request(f"properties.{field} is {len(value)} characters long; a Federated Identity "
                                 f"Credential's {field} can be at most {MAX_FIELD_LENGTH} characters.",
                                 target=f"properties.{field}")
    return value


def validate_body(body: Any) -> dict[str, Any]:
    """The credential's properties ({issuer, subject, audiences}) from a request body."""
    properties = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(properties, dict) or not properties:
        raise errors.empty_properties()
    issuer, subject = _text(properties, "issuer"), _text(properties, "subject")
    audiences = properties.get("audiences")
    if audiences is None or audiences == []:
        raise errors.missing_claim("audiences")
    if not isinstance(audiences, list) or len(audiences) != 1 or not isinstance(audiences[0], str) or not audiences[0]:
        raise errors.one_audience()
    if len(audiences[0]) > MAX_FIELD_LENGTH:
        raise errors.bad_request(f"The audience can be at most {MAX_FIELD_LENGTH} characters.",
                                 target="properties.audiences")
    url = urlparse(issuer)
    if url.scheme != "https" or not url.netloc:
        raise errors.bad_request(f"The issuer '{issuer}' is not a valid issuer URL; a Federated Identity Credential's "
                                 "issuer must be an absolute https URL.", target="properties.issuer")
    return {"issuer": issuer, "subject": subject, "audiences": list(audiences)}


def check_rules(state: EmulatorState, parent_id: str, name: str, properties: dict[str, Any]) -> None:
    """The per-identity rules: at most 20 credentials, each issuer+subject pair once."""
    others = [d for d in credentials_of(state, parent_id) if d["name"].lower() != name.lower()]
    for other in others:
        theirs = other["properties"]
        if theirs["issuer"] == properties["issuer"] and theirs["subject"] == properties["subject"]:
            raise errors.duplicate_issuer_subject()
    if not state.resources.exists(credential_id(parent_id, name)) and len(others) >= MAX_PER_IDENTITY:
        raise errors.too_many(MAX_PER_IDENTITY)


# -- the in-flight window ----------------------------------------------------------------
def claim(state: EmulatorState, parent_id: str) -> float:
    """Hold the identity for one credential write; 409 while another write holds it. Returns the hold time."""
    now, hold = state.clock.time(), write_seconds(state)
    meta = state.resources.meta(parent_id)
    if meta.get(_BUSY, 0.0) > now:
        raise errors.concurrent_writes(parent_id)
    meta[_BUSY] = now + hold
    return hold


def release(state: EmulatorState, parent_id: str) -> None:
    if state.resources.exists(parent_id):
        state.resources.meta(parent_id).pop(_BUSY, None)


# -- writes ------------------------------------------------------------------------------
def store(state: EmulatorState, parent_doc: dict[str, Any], name: str,
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


def remove(state: EmulatorState, parent_doc: dict[str, Any], name: str) -> bool:
    """True when a credential was deleted (200), False when there was none (204)."""
    the_id = credential_id(parent_doc["id"], name)
    if not state.resources.exists(the_id):
        return False
    state.delete_resource(the_id)
    return True
