"""Directory objects as Microsoft Graph shows them, and the `$filter` clauses az sends.

Every principal of the caller's tenant is a servicePrincipal: the seeded operator as an
`Application`, the principal behind a user-assigned identity as a `ManagedIdentity` (whose
servicePrincipalNames and alternativeNames carry the identity's resource id, as Entra shows
them). The emulator has no users or groups, so those lists are empty.
"""
from __future__ import annotations

import re
from typing import Any

from ..state import EmulatorState, Principal
from . import errors

SERVICE_PRINCIPAL = "#microsoft.graph.servicePrincipal"
_EQ = r"\s+eq\s+'(?P<value>(?:[^']|'')*)'\s*"
_FILTERS = {
    "servicePrincipalNames": re.compile(r"^\s*servicePrincipalNames/any\((?P<var>\w+):(?P=var)" + _EQ + r"\)\s*$",
                                        re.IGNORECASE),
    "appId": re.compile(r"^\s*appId" + _EQ + "$", re.IGNORECASE),
    "id": re.compile(r"^\s*id" + _EQ + "$", re.IGNORECASE),
    "displayName": re.compile(r"^\s*displayName" + _EQ + "$", re.IGNORECASE),
}
_USER_FILTERS = (re.compile(r"^\s*(userPrincipalName|mail|displayName|id)" + _EQ + "$", re.IGNORECASE),)


def service_principal(p: Principal) -> dict[str, Any]:
    managed = p.kind == "ManagedIdentity"
    names = [p.app_id] + ([p.resource_id] if managed and p.resource_id else [])
    return {
        "@odata.type": SERVICE_PRINCIPAL,
        "id": p.object_id,
        "deletedDateTime": None,
        "accountEnabled": True,
        "alternativeNames": ["isExplicit=True", p.resource_id] if managed and p.resource_id else [],
        "appDisplayName": None if managed else p.display_name,
        "appId": p.app_id,
        "appOwnerOrganizationId": None if managed else p.tenant_id,
        "displayName": p.display_name,
        "servicePrincipalNames": names,
        "servicePrincipalType": "ManagedIdentity" if managed else "Application",
        "signInAudience": None if managed else "AzureADMyOrg",
        "tags": [],
    }


def _tenant_principals(state: EmulatorState, tenant_id: str) -> list[Principal]:
    return sorted((p for p in state.principals.values() if p.tenant_id == tenant_id), key=lambda p: p.object_id)


def _matches(doc: dict[str, Any], field: str, value: str) -> bool:
    if field == "servicePrincipalNames":
        return any(n.lower() == value.lower() for n in doc["servicePrincipalNames"])
    return str(doc[field]).lower() == value.lower()


def list_service_principals(state: EmulatorState, tenant_id: str, odata_filter: str) -> list[dict[str, Any]]:
    docs = [service_principal(p) for p in _tenant_principals(state, tenant_id)]
    if not odata_filter.strip():
        return docs
    for field, pattern in _FILTERS.items():
        m = pattern.match(odata_filter)
        if m:
            value = m.group("value").replace("''", "'")
            return [d for d in docs if _matches(d, field, value)]
    raise errors.unsupported_query()


def get_service_principal(state: EmulatorState, tenant_id: str, object_id: str) -> dict[str, Any]:
    p = state.principals.get(object_id.lower()) or state.principals.get(object_id)
    if p is None or p.tenant_id != tenant_id:
        raise errors.resource_not_found(object_id)
    return service_principal(p)


def get_service_principal_by_app_id(state: EmulatorState, tenant_id: str, app_id: str) -> dict[str, Any]:
    p = state.principal_by_app_id(tenant_id, app_id.lower()) or state.principal_by_app_id(tenant_id, app_id)
    if p is None:
        raise errors.resource_not_found(app_id)
    return service_principal(p)


def list_users(odata_filter: str) -> list[dict[str, Any]]:
    """No users live in the emulator's directories; a filter az sends still has to parse."""
    if odata_filter.strip() and not any(f.match(odata_filter) for f in _USER_FILTERS):
        raise errors.unsupported_query()
    return []


def get_by_ids(state: EmulatorState, tenant_id: str, body: Any) -> list[dict[str, Any]]:
    """directoryObjects/getByIds: the objects found among `ids`, unknown ids left out, as Graph does."""
    if not isinstance(body, dict) or not isinstance(body.get("ids"), list):
        raise errors.bad_request("Invalid request: the body must be an object with an 'ids' array.")
    types = [str(t).lower() for t in body.get("types") or []]
    if types and "serviceprincipal" not in types and "directoryobject" not in types:
        return []
    found = []
    for object_id in body["ids"]:
        p = state.principals.get(str(object_id).lower()) or state.principals.get(str(object_id))
        if p is not None and p.tenant_id == tenant_id:
            found.append(service_principal(p))
    return found
