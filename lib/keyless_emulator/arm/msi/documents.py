"""The documents of Microsoft.ManagedIdentity built from a request body — pure rules: no state
writes, no lock, no HTTP (models.py stores what these build).

Federated identity credential rules (the REST spec 2024-11-30 and Microsoft Entra's "workload
identity federation considerations" page): the name pattern (lib/resource_names); issuer, subject and
audiences all required; exactly one audience; issuer, subject and audience at most 600
characters, the issuer an absolute https URL. Identity rules: the isolation scope, tags as an
object. Ids are spelled with lower-case `resourcegroups`, as MSI returns them.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import resource_names

from ...state import Principal
from ..errors import invalid_request_content, invalid_resource_name
from . import errors

IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
FIC_TYPE = IDENTITY_TYPE + "/federatedIdentityCredentials"
CHILD_TYPE = "userAssignedIdentities/federatedIdentityCredentials"
ISOLATION_SCOPES = ("None", "Regional")
NAME_RULE = ("User-assigned identity names are 3-128 characters of letters, digits, hyphens and underscores, "
             "and must start with a letter or a digit.")
MAX_FIELD_LENGTH = 600


def identity_id(subscription: str, group: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourcegroups/{group}/providers/{IDENTITY_TYPE}/{name}"


def credential_id(parent_id: str, name: str) -> str:
    return f"{parent_id}/federatedIdentityCredentials/{name}"


# -- user-assigned identities -------------------------------------------------------------
def validate_name(name: str) -> None:
    if not resource_names.USER_ASSIGNED_IDENTITY.matches(name):
        raise invalid_resource_name(name, IDENTITY_TYPE, NAME_RULE)


def isolation_scope(body: dict[str, Any], current: str | None) -> str:
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


def tags(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    if "tags" not in body:
        return dict(current or {})
    value = body["tags"] or {}
    if not isinstance(value, dict):
        raise invalid_request_content("The request content was invalid: 'tags' must be a JSON object.")
    return value


def identity_document(resource_id: str, name: str, location: str, tags: dict[str, Any], isolation: str,
                      principal: Principal) -> dict[str, Any]:
    """The identity as MSI shows it: its ids are those of the service principal behind it."""
    return {"id": resource_id, "name": name, "type": IDENTITY_TYPE, "location": location, "tags": tags,
            "properties": {"isolationScope": isolation, "tenantId": principal.tenant_id,
                           "principalId": principal.object_id, "clientId": principal.app_id}}


# -- federated identity credentials -------------------------------------------------------
def validate_fic_name(name: str) -> None:
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
