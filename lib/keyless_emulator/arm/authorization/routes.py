"""The URL space of Microsoft.Authorization.

Every operation is relative to a scope (subscription, resource group or resource), so these
routes match any path ending in `/providers/Microsoft.Authorization/...` and must come last
in the application's list. Built-in role definitions can also be read at the tenant root.
"""
from __future__ import annotations

from ...routing import Route
from . import responses as r
from .models import clean_scope

_P = "/providers/Microsoft.Authorization"
_SCOPED = "/{scope:path}" + _P
_ASSIGNMENTS = "Microsoft.Authorization/roleAssignments"


def _scope(p: dict[str, str]) -> str:
    return clean_scope(p["scope"])


ROUTES = [
    Route("GET", _P + "/roleDefinitions", r.role_definitions_list, name="role_definitions_list_at_root"),
    Route("GET", _P + "/roleDefinitions/{definition}", r.role_definitions_get, name="role_definitions_get_at_root"),
    Route("GET", _SCOPED + "/roleDefinitions", r.role_definitions_list,
          action="Microsoft.Authorization/roleDefinitions/read", scope=_scope),
    Route("GET", _SCOPED + "/roleDefinitions/{definition}", r.role_definitions_get,
          action="Microsoft.Authorization/roleDefinitions/read", scope=_scope),
    Route("GET", _SCOPED + "/roleAssignments", r.role_assignments_list_for_scope, action=_ASSIGNMENTS + "/read",
          scope=_scope),
    Route("GET", _SCOPED + "/roleAssignments/{name}", r.role_assignments_get, action=_ASSIGNMENTS + "/read",
          scope=_scope),
    Route("PUT", _SCOPED + "/roleAssignments/{name}", r.role_assignments_create, action=_ASSIGNMENTS + "/write",
          scope=_scope),
    Route("DELETE", _SCOPED + "/roleAssignments/{name}", r.role_assignments_delete, action=_ASSIGNMENTS + "/delete",
          scope=_scope),
    Route("GET", _SCOPED + "/permissions", r.permissions_list_for_scope),
]
