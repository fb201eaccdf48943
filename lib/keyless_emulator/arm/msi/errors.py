"""The errors Microsoft.ManagedIdentity answers with (its REST spec 2024-11-30, the federated credential limits
documented by Microsoft Entra, and error bodies observed in issues).

Messages are the documented or observed ones where known; where the real code is not confirmed,
MSI's usual `BadRequest` is used and the `target` names the offending property.
"""
from __future__ import annotations

from ..errors import ArmError


def bad_request(message: str, target: str | None = None) -> ArmError:
    return ArmError(400, "BadRequest", message, target=target)


def empty_properties() -> ArmError:
    return bad_request("Federated Identity Credential from HTTP body has empty properties", target="properties")


def missing_claim(field: str) -> ArmError:
    return bad_request("The request format was unexpected. Federated Identity Credential must specify 'issuer', "
                       "'subject' and 'audience'.", target=f"properties.{field}")


def one_audience() -> ArmError:
    return bad_request("Federated identity credentials must have exactly one audience.", target="properties.audiences")


def duplicate_issuer_subject() -> ArmError:
    return bad_request("Issuer and subject combination already exists for this Managed Identity.",
                       target="properties.subject")


def too_many(limit: int) -> ArmError:
    return bad_request(f"A managed identity can have at most {limit} Federated Identity Credentials; delete one "
                       "before adding another.")


def invalid_fic_name(name: str) -> ArmError:
    return bad_request(f"Federated Identity Credential name '{name}' is invalid. It must be 3-120 characters, start "
                       "with a letter or digit, and contain only letters, digits, hyphens and underscores.",
                       target="name")


def concurrent_writes(identity_id: str) -> ArmError:
    return ArmError(409, "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity",
                    "Too many Federated Identity Credentials are written concurrently for the managed identity "
                    f"'{identity_id.lower()}'. Concurrent Federated Identity Credentials writes under the same "
                    "managed identity are not supported.")


def parent_missing(operation: str, child_type: str, parent_id: str) -> ArmError:
    return ArmError(404, "ParentResourceNotFound",
                    f"Failed to perform '{operation}' on resource(s) of type '{child_type}', because the parent "
                    f"resource '{parent_id}' could not be found.")

