"""Which cluster an issuer path names, and the documents its issuer publishes.

An issuer exists only while its cluster exists with `oidcIssuerProfile.enabled`; the path's
location and tenant must be the cluster's, exactly as the issuer URL AKS hands out.
"""
from __future__ import annotations

from typing import Any

from .. import clusters
from ..backend import Backend
from ..errors import EmulatorError

JWKS_PATH = "openid/v1/jwks"


class IssuerNotFound(EmulatorError):
    status = 404

    def body(self) -> dict[str, Any]:
        return {"error": {"code": "NotFound", "message": self.message}}


def issuer_cluster(backend: Backend, location: str, tenant: str, issuer_id: str) -> dict[str, Any]:
    """The cluster serving this issuer, or IssuerNotFound (404)."""
    with backend.state.lock:
        doc = clusters.cluster_by_issuer(backend.state, issuer_id)
        if (doc is None or not clusters.oidc_enabled(doc) or doc.get("location") != location
                or clusters.tenant_of(backend.state, doc["id"]) != tenant):
            raise IssuerNotFound(f"No OIDC issuer is published at /oidc/{location}/{tenant}/{issuer_id}/.")
        return doc


def discovery_document(backend: Backend, doc: dict[str, Any]) -> dict[str, Any]:
    issuer = clusters.issuer_url(backend, doc)
    return {
        "issuer": issuer,
        "jwks_uri": issuer + JWKS_PATH,
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }


def jwks(backend: Backend, issuer_id: str) -> dict[str, Any]:
    return backend.keys.jwks(clusters.issuer_key_name(issuer_id))
