"""The documents of Microsoft.CognitiveServices built from a request body — pure rules: they read
the state (ids, the clock), never write it, never lock, no HTTP (models.py stores what these build).

An account's kind and SKU, its capabilities and the properties it starts with; a deployment's
model (from the catalogue), SKU and capacity, and the rate limits that follow from it.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from ...state import EmulatorState
from ..errors import bad_request, missing_property
from . import catalog, errors

ACCOUNT_TYPE = "Microsoft.CognitiveServices/accounts"
DEPLOYMENT_TYPE = "Microsoft.CognitiveServices/accounts/deployments"
# How the store files a soft-deleted account (the wire shows it with the account's own type, as the
# GetDeletedAccount example does); its id is the deletedAccounts URL, outside any resource group.
DELETED_TYPE = "Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts"
RETENTION_HOURS = 48  # Azure AI services keep a deleted resource for 48 hours before purging it
_CAPABILITIES = ({"name": "VirtualNetworks"}, {"name": "CustomerManagedKey"},
                 {"name": "MaxFineTuneCount", "value": "500"},
                 {"name": "MaxRunningFineTuneCount", "value": "3"}, {"name": "MaxUserFileCount", "value": "100"},
                 {"name": "TrustedServices",
                  "value": "Microsoft.CognitiveServices,Microsoft.MachineLearningServices,Microsoft.Search"})


def account_id(subscription: str, group: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{ACCOUNT_TYPE}/{name}"


def deleted_account_id(subscription: str, location: str, group: str, name: str) -> str:
    return (f"/subscriptions/{subscription}/providers/Microsoft.CognitiveServices/locations/{normal_location(location)}"
            f"/resourceGroups/{group}/deletedAccounts/{name}")


def tombstone(account: dict[str, Any], deleted_at: str, purge_at: str) -> dict[str, Any]:
    """What Azure keeps of a deleted account until it is purged: the account as it was (the
    subdomain stays taken), filed under its deletedAccounts id."""
    parts = account["id"].split("/")
    doc = {k: account[k] for k in ("name", "location", "sku", "kind", "tags", "etag") if k in account}
    doc["id"] = deleted_account_id(parts[2], account["location"], parts[4], account["name"])
    doc["type"] = DELETED_TYPE
    props = {k: v for k, v in account["properties"].items() if k not in ("capabilities",)}
    props.update({"provisioningState": "Succeeded", "deletionDate": deleted_at, "scheduledPurgeDate": purge_at})
    doc["properties"] = props
    return doc


def tombstones(state: EmulatorState, scope: str) -> list[dict[str, Any]]:
    """The deletedAccounts records a delete of `scope` (an account, or a resource group) leaves behind."""
    now = state.clock.now()
    deleted_at = state.clock.iso()
    purge_at = (now + _dt.timedelta(hours=RETENTION_HOURS)).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    key = scope.lower().rstrip("/")
    return [tombstone(d, deleted_at, purge_at) for d in state.resources.of_type(ACCOUNT_TYPE)
            if d["id"].lower() == key or d["id"].lower().startswith(key + "/")]


def deployment_id(account: str, name: str) -> str:
    return f"{account}/deployments/{name}"


def normal_location(value: str) -> str:
    return value.replace(" ", "").lower()


def system_data(now: str, who: str | None, created: dict[str, Any] | None = None) -> dict[str, Any]:
    data = created or {"createdBy": who, "createdByType": "Application", "createdAt": now}
    return {**{k: data[k] for k in ("createdBy", "createdByType", "createdAt")},
            "lastModifiedBy": who, "lastModifiedByType": "Application", "lastModifiedAt": now}


def check_kind_and_sku(body: dict[str, Any]) -> tuple[str, str]:
    kind, sku = body.get("kind"), body.get("sku")
    if not kind:
        raise missing_property("kind")
    if kind not in catalog.ACCOUNT_KINDS:
        raise errors.invalid_property("kind",
                                      f"the emulator serves kinds {', '.join(catalog.ACCOUNT_KINDS)}; got {kind!r}")
    if not isinstance(sku, dict) or not sku.get("name"):
        raise missing_property("sku.name")
    if sku["name"] not in catalog.ACCOUNT_KINDS[kind]:
        raise errors.invalid_property("sku.name", f"kind {kind} offers SKU {', '.join(catalog.ACCOUNT_KINDS[kind])}; "
                                                  f"got {sku['name']!r}")
    return kind, sku["name"]


def mutable_defaults() -> dict[str, Any]:
    return {"disableLocalAuth": False, "publicNetworkAccess": "Enabled",
            "networkAcls": {"defaultAction": "Allow", "virtualNetworkRules": [], "ipRules": []}}


def new_account(state: EmulatorState, resource_id: str, name: str, location: str, kind: str, sku: str,
                 who: str | None) -> dict[str, Any]:
    now = state.clock.iso()
    return {"id": resource_id, "name": name, "type": ACCOUNT_TYPE, "location": normal_location(location),
            "sku": {"name": sku}, "kind": kind, "tags": {}, "etag": f'"{state.ids.guid("etag", resource_id)}"',
            "systemData": system_data(now, who),
            "properties": {"provisioningState": "Succeeded", "customSubDomainName": None, **mutable_defaults(),
                           "capabilities": [dict(c) for c in _CAPABILITIES], "dateCreated": now,
                           "internalId": state.ids.hex("account-internal-id", resource_id, length=32),
                           "isMigrated": False, "allowProjectManagement": False}}


def tags(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise errors.invalid_property("tags", "must be an object of string values")
    return dict(value)


def _deployment_properties(model: catalog.Model, version: str, capacity: int, props: dict[str, Any]) -> dict[str, Any]:
    return {"model": {"format": "OpenAI", "name": model.name, "version": version},
            "versionUpgradeOption": props.get("versionUpgradeOption") or "OnceNewDefaultVersionAvailable",
            "raiPolicyName": props.get("raiPolicyName") or "Microsoft.DefaultV2",
            "currentCapacity": capacity, "provisioningState": "Succeeded",
            "capabilities": {model.capability: "true", "maxContextToken": str(model.max_context_tokens)},
            "rateLimits": [{"key": "request", "renewalPeriod": 10, "count": capacity},
                           {"key": "token", "renewalPeriod": 60, "count": capacity * 1000}]}


def deployment_document(state: EmulatorState, account: dict[str, Any], name: str, model: catalog.Model,
                         version: str, sku: str, capacity: int, props: dict[str, Any], who: str | None,
                         created: dict[str, Any] | None = None) -> dict[str, Any]:
    rid = deployment_id(account["id"], name)
    return {"id": rid, "name": name, "type": DEPLOYMENT_TYPE, "sku": {"name": sku, "capacity": capacity},
            "etag": f'"{state.ids.guid("etag", rid)}"', "systemData": system_data(state.clock.iso(), who, created),
            "properties": _deployment_properties(model, version, capacity, props)}


def parse_deployment(body: Any) -> tuple[catalog.Model, str, str, int, dict[str, Any]]:
    if not isinstance(body, dict):
        raise bad_request("The request content must be a JSON object.", code="InvalidRequestContent")
    props = body.get("properties")
    if not isinstance(props, dict) or not isinstance(props.get("model"), dict):
        raise missing_property("properties.model")
    m = props["model"]
    for key in ("name", "version"):
        if not m.get(key):
            raise missing_property(f"properties.model.{key}")
    fmt, name, version = str(m.get("format") or "OpenAI"), str(m["name"]), str(m["version"])
    model = catalog.find_model(name, version) if fmt == "OpenAI" else None
    if model is None:
        raise errors.model_not_supported(fmt, name, version)
    sku = body.get("sku")
    if not isinstance(sku, dict) or not sku.get("name"):
        raise missing_property("sku.name")
    if sku["name"] not in catalog.DEPLOYMENT_SKUS:
        raise errors.deployment_sku_not_supported(sku["name"], model.name, version, catalog.DEPLOYMENT_SKUS)
    capacity = sku.get("capacity", 1)
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise errors.invalid_property("sku.capacity", f"must be a positive integer; got {capacity!r}")
    return model, version, sku["name"], capacity, props
