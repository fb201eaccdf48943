"""The URL space of Microsoft.CognitiveServices (accounts, keys, model deployments)."""
from __future__ import annotations

from ...routing import Route
from ..scopes import group_scope, subscription_scope
from . import models
from . import responses as r

_NS = "Microsoft.CognitiveServices"
_SUB = "/subscriptions/{subscription}"
_ACCOUNTS = _SUB + "/resourceGroups/{group}/providers/" + _NS + "/accounts"
_ACCOUNT = _ACCOUNTS + "/{account}"
_DEPLOYMENTS = _ACCOUNT + "/deployments"
_DEPLOYMENT = _DEPLOYMENTS + "/{deployment}"
_A = _NS + "/accounts"


def _account_scope(p: dict[str, str]) -> str:
    return f"/subscriptions/{p['subscription']}/resourceGroups/{p['group']}/providers/{_NS}/accounts/{p['account']}"


_DELETED = _SUB + "/providers/" + _NS + "/locations/{location}/resourceGroups/{group}/deletedAccounts/{account}"
_DELETED_ACTION = _NS + "/locations/resourceGroups/deletedAccounts"


def _deployment_scope(p: dict[str, str]) -> str:
    return _account_scope(p) + f"/deployments/{p['deployment']}"


ROUTES = [
    # Collection reads are narrowed by the request chain to the accounts the caller may read (`lists`).
    Route("GET", _SUB + "/providers/" + _NS + "/accounts", r.accounts_list, action=_A + "/read",
          scope=subscription_scope, lists=models.ACCOUNT_TYPE),
    Route("GET", _ACCOUNTS, r.accounts_list_by_resource_group, action=_A + "/read", scope=group_scope,
          lists=models.ACCOUNT_TYPE),
    Route("GET", _ACCOUNT, r.accounts_get, action=_A + "/read", scope=_account_scope),
    Route("PUT", _ACCOUNT, r.accounts_create, action=_A + "/write", scope=_account_scope),
    Route("PATCH", _ACCOUNT, r.accounts_update, action=_A + "/write", scope=_account_scope),
    Route("DELETE", _ACCOUNT, r.accounts_delete, action=_A + "/delete", scope=_account_scope),
    Route("POST", _ACCOUNT + "/listKeys", r.accounts_list_keys, action=_A + "/listKeys/action", scope=_account_scope),
    Route("POST", _ACCOUNT + "/regenerateKey", r.accounts_regenerate_key, action=_A + "/regenerateKey/action",
          scope=_account_scope),
    Route("GET", _DEPLOYMENTS, r.deployments_list, action=_A + "/deployments/read", scope=_account_scope),
    Route("GET", _DEPLOYMENT, r.deployments_get, action=_A + "/deployments/read", scope=_deployment_scope),
    Route("PUT", _DEPLOYMENT, r.deployments_create_or_update, action=_A + "/deployments/write",
          scope=_deployment_scope),
    # Soft-deleted accounts: read and purged at the subscription's scope, as Azure checks them.
    Route("GET", _SUB + "/providers/" + _NS + "/deletedAccounts", r.deleted_accounts_list,
          action=_DELETED_ACTION + "/read", scope=subscription_scope),
    Route("GET", _DELETED, r.deleted_accounts_get, action=_DELETED_ACTION + "/read", scope=subscription_scope),
    Route("DELETE", _DELETED, r.deleted_accounts_purge, action=_DELETED_ACTION + "/delete",
          scope=subscription_scope),
    Route("DELETE", _DEPLOYMENT, r.deployments_delete, action=_A + "/deployments/delete", scope=_deployment_scope),
]
