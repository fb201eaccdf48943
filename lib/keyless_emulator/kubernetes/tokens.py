"""Service-account tokens, as kube-apiserver mints them for projected volumes (TokenRequest).

Signed (RS256) with the cluster issuer's key, so the JWKS the cluster's OIDC issuer publishes
verifies them. `iss` is the cluster's issuer URL when its OIDC issuer is enabled; otherwise the
API server's default issuer `https://kubernetes.default.svc.cluster.local`, which no federated
credential can name (Entra cannot fetch its discovery document), so an exchange then fails.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from .. import clusters
from ..backend import Backend

DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local"
DEFAULT_EXPIRATION = 3600
MIN_EXPIRATION = 600  # kube-apiserver refuses shorter projected tokens


@dataclass(frozen=True)
class MintedToken:
    token: str
    issued_at: int
    expires_at: int

    @property
    def lifetime(self) -> int:
        return self.expires_at - self.issued_at


def issuer_of(backend: Backend, cluster_doc: dict[str, Any]) -> str:
    if clusters.oidc_enabled(cluster_doc):
        return clusters.issuer_url(backend, cluster_doc)
    return DEFAULT_ISSUER


def subject(namespace: str, service_account: str) -> str:
    return f"system:serviceaccount:{namespace}:{service_account}"


def _ref(obj: dict[str, Any] | None) -> dict[str, str] | None:
    if not obj:
        return None
    meta = obj.get("metadata") or {}
    return {"name": meta.get("name", ""), "uid": meta.get("uid", "")}


def mint(backend: Backend, cluster_doc: dict[str, Any], *, namespace: str, service_account: dict[str, Any],
         audiences: list[str], expiration_seconds: int = DEFAULT_EXPIRATION, pod: dict[str, Any] | None = None,
         node: dict[str, Any] | None = None) -> MintedToken:
    """A token for `service_account` (a ServiceAccount dict), bound to `pod` and `node` when given."""
    if expiration_seconds < MIN_EXPIRATION:
        raise ValueError(f"expirationSeconds must be at least {MIN_EXPIRATION}; got {expiration_seconds}")
    if not audiences:
        raise ValueError("audiences must name at least one audience")
    meta = clusters.cluster_meta(backend.state, cluster_doc["id"])
    now = int(backend.clock.time())
    sa_ref = _ref(service_account)
    assert sa_ref is not None
    kubernetes_io: dict[str, Any] = {"namespace": namespace, "serviceaccount": sa_ref}
    if pod is not None:
        kubernetes_io["pod"] = _ref(pod)
    if node is not None:
        kubernetes_io["node"] = _ref(node)
    claims = {
        "aud": list(audiences),
        "exp": now + int(expiration_seconds),
        "iat": now,
        "iss": issuer_of(backend, cluster_doc),
        "jti": str(uuid.uuid4()),
        "kubernetes.io": kubernetes_io,
        "nbf": now,
        "sub": subject(namespace, sa_ref["name"]),
    }
    token = backend.keys.key(clusters.issuer_key_name(meta["issuer_id"])).sign(claims)
    return MintedToken(token, now, now + int(expiration_seconds))
