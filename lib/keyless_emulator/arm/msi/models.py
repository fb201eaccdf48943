"""User-assigned managed identities — the rules, with no HTTP in sight.

Creating an identity registers its service principal in the subscription's tenant; the
document's `clientId`, `principalId` and `tenantId` are that principal's application id,
object id and tenant, so the token the workload later gets carries exactly those ids. A re-PUT
keeps them; a delete removes the identity, its federated credentials and its principal.
Ids are spelled with lower-case `resourcegroups`, as MSI returns them.
"""
from __future__ import annotations

from typing import Any

import resource_names

from ...state import EmulatorState, Principal
from ..errors import (
    invalid_request_content,
    invalid_resource_name,
    location_change,
    missing_property,
    resource_not_found,
)
from ..resources import models as resource_models
from ..resources.models import require_group
from . import errors

IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
ISOLATION_SCOPES = ("None", "Regional")
NAME_RULE = ("User-assigned identity names are 3-128 characters of letters, digits, hyphens and underscores, "
             "and must start with a letter or a digit.")


def identity_id(subscription: str, group: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourcegroups/{group}/providers/{IDENTITY_TYPE}/{name}"


def validate_name(name: str) -> None:
    if not resource_names.USER_ASSIGNED_IDENTITY.matches(name):
        raise invalid_resource_name(name, IDENTITY_TYPE, NAME_RULE)


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


def _isolation_scope(body: dict[str, Any], current: str | None) -> str:
    properties = body.get("properties")
    if properties is not None and not isinstance(properties, dict):
        raise invalid_request_content("The request content was invalid: 'properties' must be a JSON object.")
    value = (properties or {}).get("isolationScope")
    if value is None:
        return current or "None"
    if value not in ISOLATION_SCOPES:
        raise errors.bad_request(f"The value '{value}' of properties.isolationScope is invalid; it must be one of "
                                 f"{', '.join(ISOLATION_SCOPES)}.", target="properties.isolationScope")
    return value


def _tags(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    if "tags" not in body:
        return dict(current or {})
    tags = body["tags"] or {}
    if not isinstance(tags, dict):
        raise invalid_request_content("The request content was invalid: 'tags' must be a JSON object.")
    return tags


def _principal(state: EmulatorState, tenant_id: str, name: str, resource_id: str) -> Principal:
    existing = state.principal_for_resource(resource_id)
    if existing is not None:
        return existing
    return state.add_principal(tenant_id, name, kind="ManagedIdentity", resource_id=resource_id)


def _document(resource_id: str, name: str, location: str, tags: dict[str, Any], isolation: str,
              principal: Principal) -> dict[str, Any]:
    return {"id": resource_id, "name": name, "type": IDENTITY_TYPE, "location": location, "tags": tags,
            "properties": {"isolationScope": isolation, "tenantId": principal.tenant_id,
                           "principalId": principal.object_id, "clientId": principal.app_id}}


def create_or_update_identity(state: EmulatorState, subscription: str, group: str, name: str,
                              body: Any) -> tuple[dict[str, Any], bool]:
    """Create (True) or update (False) an identity; PUT replaces tags and keeps the ids."""
    with state.lock:
        group_doc, existing = find_identity(state, subscription, group, name)
        validate_name(name)  # after the group: Resource Manager checks it before MSI sees the name
        if not isinstance(body, dict):
            raise invalid_request_content("The request content must be a JSON object describing the identity.")
        if not body.get("location"):
            raise missing_property("location")
        location = str(body["location"]).replace(" ", "").lower()
        if existing is not None and location != existing["location"]:
            raise location_change(existing["name"], existing["location"], group_doc["name"], location)
        sub = state.subscription(subscription)
        assert sub is not None  # the authentication layer has checked it
        resource_id = existing["id"] if existing else identity_id(subscription, group_doc["name"], name)
        principal = _principal(state, sub.tenant_id, existing["name"] if existing else name, resource_id)
        current = (existing or {}).get("properties", {}).get("isolationScope")
        doc = _document(resource_id, existing["name"] if existing else name, location,
                        _tags(body, None), _isolation_scope(body, current), principal)
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
        doc["tags"] = _tags(body, doc.get("tags"))
        doc["properties"]["isolationScope"] = _isolation_scope(body, doc["properties"].get("isolationScope"))
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
