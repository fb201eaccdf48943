"""Subscriptions, resource groups and generic resource listing — the rules, with no HTTP in sight.

A resource group's delete is long-running: `delete_group` begins the operation, which removes
the group and everything in it when it settles.
"""
from __future__ import annotations

import re
from typing import Any

import resource_names

from ...backend import Backend
from ...state import EmulatorState
from .. import lro
from ..cognitiveservices.documents import tombstones
from ..errors import (
    bad_request,
    invalid_resource_name,
    location_not_available,
    missing_property,
    resource_group_not_found,
    subscription_not_found,
)
from . import catalog, errors

GROUP_TYPE = "Microsoft.Resources/resourceGroups"
_GROUP_RULE = ("Resource group names are 1-90 characters of letters, digits, underscores, parentheses, "
               "hyphens and periods, and cannot end in a period.")


def group_id(subscription: str, group: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}"


def validate_group_name(name: str) -> None:
    if not resource_names.RESOURCE_GROUP.matches(name):
        raise invalid_resource_name(name, GROUP_TYPE, _GROUP_RULE)


def get_group(state: EmulatorState, subscription: str, group: str) -> dict[str, Any]:
    doc = state.resources.get(group_id(subscription, group))
    if doc is None:
        raise resource_group_not_found(group)
    return doc


def group_exists(state: EmulatorState, subscription: str, group: str) -> bool:
    return state.resources.exists(group_id(subscription, group))


def delete_group(backend: Backend, subscription: str, group: str) -> lro.Started:
    """Begin deleting a group (and, when the operation settles, everything in it). The Cognitive
    Services accounts in it are soft-deleted, as Azure does: their deletedAccounts records stay."""
    with backend.state.lock:
        doc = get_group(backend.state, subscription, group)
        op = lro.begin(backend, resource_id=doc["id"], location=doc["location"], kind="delete", final=None,
                       leaves=tombstones(backend.state, doc["id"]))
        return lro.Started(op)


def require_group(state: EmulatorState, subscription: str, group: str) -> dict[str, Any]:
    """The group, or 404 ResourceGroupNotFound — every resource write under a group checks this."""
    return get_group(state, subscription, group)


def create_or_update_group(state: EmulatorState, subscription: str, group: str,
                           body: Any) -> tuple[dict[str, Any], bool]:
    validate_group_name(group)
    if not isinstance(body, dict):
        raise bad_request("The request content must be a JSON object.", code="InvalidRequestContent")
    if not body.get("location"):
        raise missing_property("location")
    if not catalog.available(body["location"]):
        raise location_not_available(str(body["location"]), GROUP_TYPE, catalog.listed())
    with state.lock:
        existing = state.resources.get(group_id(subscription, group))
        if existing is not None:
            if body["location"].replace(" ", "").lower() != existing["location"]:
                raise errors.group_location_conflict(body["location"], existing["location"])
            existing["tags"] = body.get("tags", existing.get("tags", {}))
            return state.resources.put(existing), False
        doc = {"id": group_id(subscription, group), "name": group, "type": GROUP_TYPE,
               "location": body["location"].replace(" ", "").lower(), "tags": body.get("tags", {}) or {},
               "properties": {"provisioningState": "Succeeded"}}
        if body.get("managedBy"):
            doc["managedBy"] = body["managedBy"]
        return state.resources.put(doc), True


def list_in_group(state: EmulatorState, subscription: str, group: str, type_: str) -> list[dict[str, Any]]:
    """The documents of one type in a group (404 ResourceGroupNotFound when the group is missing)."""
    return state.resources.under(require_group(state, subscription, group)["id"], type_)


def list_in_subscription(state: EmulatorState, subscription: str, type_: str) -> list[dict[str, Any]]:
    return state.resources.under(f"/subscriptions/{subscription}", type_)


def list_groups(state: EmulatorState, subscription: str) -> list[dict[str, Any]]:
    return state.resources.under(f"/subscriptions/{subscription}/resourceGroups", GROUP_TYPE)


def _is_top_level(doc: dict[str, Any]) -> bool:
    """A resource directly in a group (not a child, not an extension resource such as a role assignment)."""
    lowered = [p.lower() for p in doc["id"].strip("/").split("/")]
    return len(lowered) == 8 and lowered[2] == "resourcegroups" and lowered[4] == "providers"


def _expanded(state: EmulatorState, doc: dict[str, Any], expand: str) -> dict[str, Any]:
    """A listing entry; `$expand=createdTime,changedTime,provisioningState` (what az sends) adds those."""
    keys = ("id", "name", "type", "location", "tags", "kind", "sku", "identity", "managedBy", "plan")
    out = {k: doc[k] for k in keys if k in doc}
    wanted = {w.strip().lower() for w in expand.split(",")}
    system = doc.get("systemData") or {}
    times = state.resources.meta(doc["id"])
    if "createdtime" in wanted:
        out["createdTime"] = system.get("createdAt") or times.get("createdTime")
    if "changedtime" in wanted:
        out["changedTime"] = system.get("lastModifiedAt") or times.get("changedTime")
    if "provisioningstate" in wanted:
        out["provisioningState"] = (doc.get("properties") or {}).get("provisioningState", "Succeeded")
    return out


_TERM = re.compile(r"^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)
_FIELDS = {"resourcetype": "type", "resourcegroup": "group", "name": "name", "location": "location",
           "tagname": "tagname", "tagvalue": "tagvalue"}


def parse_filter(expression: str) -> dict[str, str]:
    """`resourceType eq 'X' and name eq 'Y'` -> {"type": "X", "name": "Y"} (the terms ARM supports here)."""
    terms: dict[str, str] = {}
    if not expression.strip():
        return terms
    for part in re.split(r"\s+and\s+", expression.strip(), flags=re.IGNORECASE):
        m = _TERM.match(part)
        if not m or m.group(1).lower() not in _FIELDS:
            raise errors.invalid_filter(expression)
        terms[_FIELDS[m.group(1).lower()]] = m.group(2).replace("''", "'")
    return terms


def list_resources(state: EmulatorState, subscription: str, group: str | None, filter_expr: str,
                   expand: str = "") -> list[dict[str, Any]]:
    terms = parse_filter(filter_expr)
    if group is not None:
        require_group(state, subscription, group)
        prefix = group_id(subscription, group)
    else:
        prefix = f"/subscriptions/{subscription}"
    out = []
    for doc in state.resources.under(prefix):
        if not _is_top_level(doc):
            continue
        doc_group = doc["id"].split("/")[4]
        if "type" in terms and doc["type"].lower() != terms["type"].lower():
            continue
        if "group" in terms and doc_group.lower() != terms["group"].lower():
            continue
        if "name" in terms and doc["name"].lower() != terms["name"].lower():
            continue
        if "location" in terms and doc.get("location", "").lower() != terms["location"].lower():
            continue
        tags = {k.lower(): v for k, v in (doc.get("tags") or {}).items()}
        if "tagname" in terms and terms["tagname"].lower() not in tags:
            continue
        if "tagvalue" in terms and terms["tagvalue"] not in tags.values():
            continue
        out.append(_expanded(state, doc, expand))
    return out


def subscription_document(state: EmulatorState, subscription_id: str) -> dict[str, Any]:
    sub = state.subscription(subscription_id)
    if sub is None:
        raise subscription_not_found(subscription_id)
    return {"id": f"/subscriptions/{sub.id}", "subscriptionId": sub.id, "tenantId": sub.tenant_id,
            "displayName": sub.display_name, "state": sub.state,
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                     "spendingLimit": "Off"},
            "authorizationSource": "RoleBased", "managedByTenants": []}


def list_locations(state: EmulatorState, subscription_id: str) -> list[dict[str, Any]]:
    """`GET /subscriptions/{id}/locations`: the regions the subscription may deploy to."""
    return catalog.location_documents(subscription_document(state, subscription_id)["subscriptionId"])


def list_subscriptions(state: EmulatorState, visible: frozenset[str] | None) -> list[dict[str, Any]]:
    """The subscriptions in `visible` (the request chain's narrowing), as documents, in id order."""
    return [subscription_document(state, s.id) for s in sorted(state.subscriptions.values(), key=lambda s: s.id)
            if visible is None or s.id in visible]


def tenant_documents(state: EmulatorState, tenant_id: str) -> list[dict[str, Any]]:
    """The caller's own tenant, as `GET /tenants` lists it."""
    t = state.tenants[tenant_id]
    return [{"id": f"/tenants/{t.id}", "tenantId": t.id, "tenantCategory": "Home",
             "displayName": t.name, "defaultDomain": t.domain, "domains": [t.domain]}]
