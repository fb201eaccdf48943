"""The URL space of Microsoft.ManagedIdentity (user-assigned identities and their federated credentials)."""
from __future__ import annotations

from ...routing import Route
from ..scopes import group_scope, subscription_scope
from . import responses as r

_SUB = "/subscriptions/{subscription}"
_GROUP = _SUB + "/resourceGroups/{group}"
_IDENTITIES = "/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
_IDENTITY = _GROUP + _IDENTITIES + "/{name}"
_FICS = _IDENTITY + "/federatedIdentityCredentials"

_ACTION = "Microsoft.ManagedIdentity/userAssignedIdentities"
READ, WRITE, DELETE = _ACTION + "/read", _ACTION + "/write", _ACTION + "/delete"
FIC_READ = _ACTION + "/federatedIdentityCredentials/read"
FIC_WRITE = _ACTION + "/federatedIdentityCredentials/write"
FIC_DELETE = _ACTION + "/federatedIdentityCredentials/delete"


def _identity_scope(p: dict[str, str]) -> str:
    return group_scope(p) + f"{_IDENTITIES}/{p['name']}"


def _fic_scope(p: dict[str, str]) -> str:
    return _identity_scope(p) + f"/federatedIdentityCredentials/{p['fic']}"


ROUTES = [
    Route("GET", _SUB + _IDENTITIES, r.user_assigned_identities_list_by_subscription, action=READ,
          scope=subscription_scope),
    Route("GET", _GROUP + _IDENTITIES, r.user_assigned_identities_list_by_resource_group, action=READ,
          scope=group_scope),
    Route("GET", _IDENTITY, r.user_assigned_identities_get, action=READ, scope=_identity_scope),
    Route("PUT", _IDENTITY, r.user_assigned_identities_create_or_update, action=WRITE, scope=_identity_scope),
    Route("PATCH", _IDENTITY, r.user_assigned_identities_update, action=WRITE, scope=_identity_scope),
    Route("DELETE", _IDENTITY, r.user_assigned_identities_delete, action=DELETE, scope=_identity_scope),
    Route("GET", _FICS, r.federated_identity_credentials_list, action=FIC_READ, scope=_identity_scope),
    Route("GET", _FICS + "/{fic}", r.federated_identity_credentials_get, action=FIC_READ, scope=_fic_scope),
    Route("PUT", _FICS + "/{fic}", r.federated_identity_credentials_create_or_update, action=FIC_WRITE,
          scope=_fic_scope),
    Route("DELETE", _FICS + "/{fic}", r.federated_identity_credentials_delete, action=FIC_DELETE, scope=_fic_scope),
]
