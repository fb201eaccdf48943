"""Cognitive Services accounts, their keys and model deployments — the rules, with no HTTP in sight.

Writes are long-running: each write entry point (`create_account`, `update_account`,
`delete_account`, `create_or_update_deployment`, `delete_deployment`) stores the document in
its provisioning state and begins the operation under the state lock, and returns the
`lro.Started` the handler answers with.

Stored documents never hold a URL the emulator serves: `render_account` adds `endpoint` and
`endpoints` at answer time (`{base}/aoai/{customSubDomainName}/`). Account keys are stored
nowhere either: they derive from the instance secret, the account id and how many times the
key was regenerated.

A deleted account is soft-deleted, as Azure does: its `deletedAccounts` record stays (its name and
custom subdomain still taken) until it is purged.
"""
from __future__ import annotations

import copy
import hmac
import re
from typing import Any

import resource_names

from ...backend import Backend
from ...state import EmulatorState
from .. import lro
from ..errors import bad_request, invalid_resource_name, missing_property, parent_not_found, resource_not_found
from ..resources.models import require_group
from . import catalog, documents, errors
from .documents import (
    ACCOUNT_TYPE,
    DELETED_TYPE,
    DEPLOYMENT_TYPE,
    account_id,
    deleted_account_id,
    deployment_id,
)

_ACCOUNT_RULE = ("Account names are 2-64 characters of letters, digits and hyphens, starting and ending with a letter "
                 "or digit.")
_SUBDOMAIN = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,62}[a-zA-Z0-9])$")
_SUBDOMAIN_RULE = ("must be 2-64 characters of letters, digits and hyphens, starting and ending with a letter or "
                   "digit (it becomes the host name of the account's endpoint)")
_DEPLOYMENT_RULE = ("Deployment names are 1-64 characters of letters, digits, periods, underscores and hyphens, "
                    "starting with a letter or digit.")
KEY_NAMES = ("key1", "key2")
DATA_API_NAMES = ("OpenAI Language Model Instance API", "OpenAI Dall-E API", "OpenAI Whisper API",
                  "OpenAI Realtime API", "OpenAI Model Scaleset API")


# -- accounts ----------------------------------------------------------------------------
def get_account(state: EmulatorState, subscription: str, group: str, name: str) -> dict[str, Any]:
    require_group(state, subscription, group)
    doc = state.resources.get(account_id(subscription, group, name))
    if doc is None:
        raise resource_not_found(ACCOUNT_TYPE, name, group)
    return doc


def account_for_subdomain(state: EmulatorState, subdomain: str) -> dict[str, Any] | None:
    wanted = subdomain.lower()
    return next((d for d in state.resources.of_type(ACCOUNT_TYPE)
                 if (d["properties"].get("customSubDomainName") or "").lower() == wanted), None)


def endpoint_of(doc: dict[str, Any], base_url: str) -> str:
    subdomain = doc["properties"].get("customSubDomainName")
    if subdomain:
        return f"{base_url}/aoai/{subdomain.lower()}/"
    return f"{base_url}/aoai/regional-{doc['location']}/"


def render_account(doc: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The document as the wire carries it: with the endpoints the emulator serves."""
    out = copy.deepcopy(doc)
    endpoint = endpoint_of(doc, base_url)
    out["properties"]["endpoint"] = endpoint
    out["properties"]["endpoints"] = dict.fromkeys(DATA_API_NAMES, endpoint)
    return out


def _validate_subdomain(state: EmulatorState, subdomain: Any, own_id: str) -> str | None:
    if subdomain is None or subdomain == "":
        return None
    if not isinstance(subdomain, str) or not _SUBDOMAIN.match(subdomain):
        raise errors.invalid_property("properties.customSubDomainName", _SUBDOMAIN_RULE + f"; got {subdomain!r}")
    holder = account_for_subdomain(state, subdomain)
    if holder is not None and holder["id"].lower() != own_id.lower():
        raise errors.custom_domain_in_use(subdomain)
    if any((d["properties"].get("customSubDomainName") or "").lower() == subdomain.lower()
           for d in state.resources.of_type(DELETED_TYPE)):
        raise errors.custom_domain_in_use(subdomain)  # a soft-deleted account keeps its subdomain until purged
    return subdomain


def _apply_properties(state: EmulatorState, doc: dict[str, Any], props: dict[str, Any]) -> None:
    """Properties a caller may set (PUT or PATCH), validated; the custom subdomain is immutable once set."""
    p = doc["properties"]
    if "customSubDomainName" in props:
        new = _validate_subdomain(state, props["customSubDomainName"], doc["id"])
        old = p.get("customSubDomainName")
        if old and (new or "").lower() != old.lower():
            raise errors.invalid_property("properties.customSubDomainName",
                                          f"cannot be changed once set (it is '{old}')")
        p["customSubDomainName"] = new or old
    if "disableLocalAuth" in props:
        if not isinstance(props["disableLocalAuth"], bool):
            raise errors.invalid_property("properties.disableLocalAuth", "must be true or false")
        p["disableLocalAuth"] = props["disableLocalAuth"]
    if "publicNetworkAccess" in props:
        if props["publicNetworkAccess"] not in ("Enabled", "Disabled"):
            raise errors.invalid_property("properties.publicNetworkAccess", "must be 'Enabled' or 'Disabled'")
        p["publicNetworkAccess"] = props["publicNetworkAccess"]
    if isinstance(props.get("networkAcls"), dict):
        p["networkAcls"] = {"defaultAction": props["networkAcls"].get("defaultAction", "Allow"),
                            "virtualNetworkRules": props["networkAcls"].get("virtualNetworkRules", []),
                            "ipRules": props["networkAcls"].get("ipRules", [])}


def _refuse_while_busy(state: EmulatorState, resource_id: str) -> None:
    if state.pending_operation(resource_id) is not None:
        raise errors.request_conflict(resource_id)


def _put_account(state: EmulatorState, subscription: str, group: str, name: str, body: Any,
                who: str | None) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Create or replace an account: (document while provisioning, final document, created)."""
    if not resource_names.COGNITIVE_SERVICES_ACCOUNT.matches(name):
        raise invalid_resource_name(name, ACCOUNT_TYPE, _ACCOUNT_RULE)
    if not isinstance(body, dict):
        raise bad_request("The request content must be a JSON object.", code="InvalidRequestContent")
    if not body.get("location"):
        raise missing_property("location")
    kind, sku = documents.check_kind_and_sku(body)
    props = body.get("properties") or {}
    if not isinstance(props, dict):
        raise bad_request("properties must be a JSON object.", code="InvalidRequestContent", target="properties")
    with state.lock:
        require_group(state, subscription, group)
        rid = account_id(subscription, group, name)
        existing = state.resources.get(rid)
        if existing is not None:
            _refuse_while_busy(state, rid)
            if existing["kind"] != kind:
                raise errors.invalid_property("kind", f"cannot change from {existing['kind']} to {kind}")
            requested = documents.normal_location(body["location"])
            if requested != existing["location"]:
                raise errors.location_conflict(name, existing["location"], group, requested)
            # PUT replaces: what the body leaves out returns to its default (the subdomain, immutable, stays).
            doc = existing
            doc["properties"].update(documents.mutable_defaults())
            doc["systemData"] = documents.system_data(state.clock.iso(), who, existing.get("systemData"))
        else:
            held = deleted_in_group(state, subscription, group, name)
            if held is not None:
                if props.get("restore") is not True:
                    raise errors.flag_must_be_set_for_restore(rid)
                state.resources.delete(held["id"])  # restore: the account comes back under its old name
            doc = documents.new_account(state, rid, name, body["location"], kind, sku, who)
        doc["sku"] = {"name": sku}
        doc["tags"] = documents.tags(body.get("tags"))
        _apply_properties(state, doc, props)
        final = copy.deepcopy(doc)
        final["properties"]["provisioningState"] = "Succeeded"
        doc["properties"]["provisioningState"] = "Creating" if existing is None else "Accepted"
        state.resources.put(doc)
        return doc, final, existing is None


def _patch_account(state: EmulatorState, doc: dict[str, Any], body: Any,
                  who: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Update tags, SKU and the mutable properties: (document while updating, final document)."""
    if not isinstance(body, dict):
        raise bad_request("The request content must be a JSON object.", code="InvalidRequestContent")
    with state.lock:
        _refuse_while_busy(state, doc["id"])
        doc = copy.deepcopy(doc)
        if "tags" in body:
            doc["tags"] = documents.tags(body["tags"])
        if body.get("sku"):
            documents.check_kind_and_sku({"kind": doc["kind"], "sku": body["sku"]})
            doc["sku"] = {"name": body["sku"]["name"]}
        _apply_properties(state, doc, body.get("properties") or {})
        doc["systemData"] = documents.system_data(state.clock.iso(), who, doc.get("systemData"))
        final = copy.deepcopy(doc)
        final["properties"]["provisioningState"] = "Succeeded"
        doc["properties"]["provisioningState"] = "Accepted"
        state.resources.put(doc)
        return doc, final


def list_accounts(state: EmulatorState, subscription: str, group: str | None,
                  readable: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """The accounts of a group (or subscription); `readable` is the request chain's narrowing of the
    list to what the caller may read (None: all)."""
    if group is not None:
        require_group(state, subscription, group)
        prefix = f"/subscriptions/{subscription}/resourceGroups/{group}"
    else:
        prefix = f"/subscriptions/{subscription}"
    docs = state.resources.under(prefix, ACCOUNT_TYPE)
    return docs if readable is None else [d for d in docs if d["id"].lower() in readable]


# -- long-running writes -----------------------------------------------------------------
def create_account(backend: Backend, subscription: str, group: str, name: str, body: Any,
                   who: str | None) -> lro.Started:
    """PUT: create or replace an account; provisioning runs as a long-running operation."""
    with backend.state.lock:
        doc, final, created = _put_account(backend.state, subscription, group, name, body, who)
        op = lro.begin(backend, resource_id=doc["id"], location=doc["location"], kind="put", final=final)
        return lro.Started(op, doc, created)


def update_account(backend: Backend, subscription: str, group: str, name: str, body: Any,
                   who: str | None) -> lro.Started:
    """PATCH: tags, SKU and the mutable properties, as a long-running operation."""
    with backend.state.lock:
        doc, final = _patch_account(backend.state, get_account(backend.state, subscription, group, name), body, who)
        op = lro.begin(backend, resource_id=doc["id"], location=doc["location"], kind="put", final=final)
        return lro.Started(op, doc)


def delete_account(backend: Backend, subscription: str, group: str, name: str) -> lro.Started:
    """DELETE soft-deletes: the account goes, its deletedAccounts record stays until purged."""
    with backend.state.lock:
        doc = get_account(backend.state, subscription, group, name)
        return lro.Started(lro.begin(backend, resource_id=doc["id"], location=doc["location"], kind="delete",
                                     final=None, leaves=documents.tombstones(backend.state, doc["id"])))


# -- soft delete ---------------------------------------------------------------------------
def deleted_in_group(state: EmulatorState, subscription: str, group: str, name: str) -> dict[str, Any] | None:
    """The soft-deleted account of that name in that group (any location), if any."""
    tail = f"/resourcegroups/{group.lower()}/deletedaccounts/{name.lower()}"
    prefix = f"/subscriptions/{subscription.lower()}/"
    return next((d for d in state.resources.of_type(DELETED_TYPE)
                 if d["id"].lower().startswith(prefix) and d["id"].lower().endswith(tail)), None)


def render_deleted(doc: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["type"] = ACCOUNT_TYPE
    return out


def list_deleted_accounts(state: EmulatorState, subscription: str) -> list[dict[str, Any]]:
    return [d for d in state.resources.of_type(DELETED_TYPE)
            if d["id"].lower().startswith(f"/subscriptions/{subscription.lower()}/")]


def get_deleted_account(state: EmulatorState, subscription: str, location: str, group: str,
                        name: str) -> dict[str, Any]:
    doc = state.resources.get(deleted_account_id(subscription, location, group, name))
    if doc is None:
        raise errors.deleted_account_not_found(name, location, group)
    return doc


def purge_deleted_account(backend: Backend, subscription: str, location: str, group: str,
                          name: str) -> lro.Started:
    """Purge: the record goes for good (a long-running delete); the name and subdomain are free again."""
    with backend.state.lock:
        doc = get_deleted_account(backend.state, subscription, location, group, name)
        return lro.Started(lro.begin(backend, resource_id=doc["id"], location=doc["location"], kind="delete",
                                     final=None))


def create_or_update_deployment(backend: Backend, subscription: str, group: str, account: str, name: str, body: Any,
                                who: str | None) -> lro.Started:
    with backend.state.lock:
        doc, final, created = _put_deployment(backend.state, subscription, group, account, name, body, who)
        location = get_account(backend.state, subscription, group, account)["location"]
        op = lro.begin(backend, resource_id=doc["id"], location=location, kind="put", final=final)
        return lro.Started(op, doc, created)


def delete_deployment(backend: Backend, subscription: str, group: str, account: str, name: str) -> lro.Started:
    with backend.state.lock:
        account_doc = get_account(backend.state, subscription, group, account)
        doc = get_deployment(backend.state, account_doc, name)
        return lro.Started(lro.begin(backend, resource_id=doc["id"], location=account_doc["location"],
                                     kind="delete", final=None))


# -- keys --------------------------------------------------------------------------------
def _key_name(value: Any) -> str:
    if not isinstance(value, str) or value.lower() not in KEY_NAMES:
        raise errors.invalid_property("keyName", f"must be 'Key1' or 'Key2'; got {value!r}")
    return value.lower()


def current_keys(state: EmulatorState, doc: dict[str, Any]) -> dict[str, str]:
    generations = state.resources.meta(doc["id"]).get("key_generation", {})
    out = {}
    for which in KEY_NAMES:
        n = generations.get(which, 0)
        out[which] = state.secrets.account_key(doc["id"], which if n == 0 else f"{which}#{n}")
    return out


def list_keys(state: EmulatorState, subscription: str, group: str, name: str) -> dict[str, str]:
    doc = get_account(state, subscription, group, name)
    if doc["properties"].get("disableLocalAuth"):
        raise errors.local_auth_disabled()
    return current_keys(state, doc)


def regenerate_key(state: EmulatorState, subscription: str, group: str, name: str, body: Any) -> dict[str, str]:
    doc = get_account(state, subscription, group, name)
    which = _key_name((body or {}).get("keyName") if isinstance(body, dict) else None)
    if doc["properties"].get("disableLocalAuth"):
        raise errors.local_auth_disabled()
    with state.lock:
        generations = state.resources.meta(doc["id"]).setdefault("key_generation", {})
        generations[which] = generations.get(which, 0) + 1
    return current_keys(state, doc)


def key_matches(state: EmulatorState, doc: dict[str, Any], presented: str) -> str | None:
    """Which key (key1/key2) the presented value is, compared in constant time; None if neither."""
    for which, key in current_keys(state, doc).items():
        if hmac.compare_digest(key.encode(), presented.encode()):
            return which
    return None


# -- deployments -------------------------------------------------------------------------
def find_deployment(state: EmulatorState, subscription: str, group: str, account: str, name: str) -> dict[str, Any]:
    return get_deployment(state, get_account(state, subscription, group, account), name)


def get_deployment(state: EmulatorState, account: dict[str, Any], name: str) -> dict[str, Any]:
    doc = state.resources.get(deployment_id(account["id"], name))
    if doc is None:
        group = account["id"].split("/")[4]
        raise resource_not_found(DEPLOYMENT_TYPE, f"{account['name']}/{name}", group)
    return doc


def list_deployments(state: EmulatorState, subscription: str, group: str, account: str) -> list[dict[str, Any]]:
    account_doc = get_account(state, subscription, group, account)
    return state.resources.under(account_doc["id"] + "/deployments", DEPLOYMENT_TYPE)


def _put_deployment(state: EmulatorState, subscription: str, group: str, account_name: str, name: str, body: Any,
                   who: str | None) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Create or update a deployment: (document while provisioning, final document, created)."""
    if not resource_names.COGNITIVE_SERVICES_DEPLOYMENT.matches(name):
        raise invalid_resource_name(name, DEPLOYMENT_TYPE, _DEPLOYMENT_RULE)
    model, version, sku, capacity, props = documents.parse_deployment(body)
    with state.lock:
        require_group(state, subscription, group)
        account = state.resources.get(account_id(subscription, group, account_name))
        if account is None:
            raise parent_not_found(DEPLOYMENT_TYPE, account_id(subscription, group, account_name))
        rid = deployment_id(account["id"], name)
        existing = state.resources.get(rid)
        if existing is not None:
            _refuse_while_busy(state, rid)
        _check_quota(state, subscription, account["location"], rid, model.name, sku, capacity)
        final = documents.deployment_document(state, account, name, model, version, sku, capacity, props, who,
                                     existing.get("systemData") if existing else None)
        doc = copy.deepcopy(final)
        doc["properties"]["provisioningState"] = "Creating" if existing is None else "Updating"
        state.resources.put(doc)
        return doc, final, existing is None


def _check_quota(state: EmulatorState, subscription: str, location: str, own_id: str, model: str, sku: str,
                 capacity: int) -> None:
    """The deployments of one model and SKU in a subscription's region share one quota."""
    used = 0
    for doc in state.resources.under(f"/subscriptions/{subscription}", DEPLOYMENT_TYPE):
        if doc["id"].lower() == own_id.lower():
            continue
        account = state.resources.get(doc["id"].rsplit("/deployments/", 1)[0]) or {}
        if (account.get("location") == location and doc["sku"]["name"] == sku
                and doc["properties"]["model"]["name"] == model):
            used += int(doc["sku"].get("capacity") or 0)
    if used + capacity > catalog.QUOTA_LIMIT:
        raise errors.insufficient_quota(capacity, catalog.usage_name(sku, model), used, catalog.QUOTA_LIMIT)


# -- scenario seeding --------------------------------------------------------------------
def seed_account(state: EmulatorState, subscription: str, group: str, name: str, location: str, *,
                 custom_subdomain: str | None, local_auth: bool) -> dict[str, Any]:
    """An Azure OpenAI account, provisioned (what the prerequisite article leaves behind)."""
    rid = account_id(subscription, group, name)
    doc = documents.new_account(state, rid, name, location, "OpenAI", "S0", None)
    doc["properties"]["customSubDomainName"] = _validate_subdomain(state, custom_subdomain, rid)
    doc["properties"]["disableLocalAuth"] = not local_auth
    return state.resources.put(doc)


def seed_deployment(state: EmulatorState, account_id: str, name: str, *, model_name: str, model_version: str,
                    sku_name: str = "Standard", capacity: int = 10) -> dict[str, Any]:
    model = catalog.find_model(model_name, model_version)
    if model is None:
        raise ValueError(f"model {model_name} {model_version} is not in the emulator's catalogue")
    account = state.resources.get(account_id)
    if account is None:
        raise ValueError(f"no account {account_id}")
    return state.resources.put(documents.deployment_document(state, account, name, model, model_version, sku_name,
                                                             capacity, {}, None))
