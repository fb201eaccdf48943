"""Authentication of a cluster's API server (AUTH_KUBERNETES).

Accepted bearer tokens: the cluster user's token from the kubeconfig (compared in constant
time with `clusters.user_token` of the cluster the path names), or a service-account token of
that cluster (signed by its issuer key, issued by the cluster's issuer or the default one,
audience the API server, the account still existing with the same uid). Anything else, including another
cluster's token or no token: 401 Status `Unauthorized`. A path naming no cluster: 404.
"""
from __future__ import annotations

import hmac

from .. import clusters, signing
from ..context import RequestContext
from . import errors, tokens, wire


def _service_account(ctx: RequestContext, doc: dict, token: str) -> str | None:
    meta = clusters.cluster_meta(ctx.state, doc["id"])
    jwks = ctx.backend.keys.jwks(clusters.issuer_key_name(meta["issuer_id"]))["keys"]
    # like kube-apiserver with several --service-account-issuer values: tokens minted before the
    # OIDC issuer was enabled stay valid
    issuers = (tokens.issuer_of(ctx.backend, doc), clusters.issuer_url(ctx.backend, doc), tokens.DEFAULT_ISSUER)
    audiences = (*issuers, clusters.api_server_url(ctx.backend, doc))
    try:
        claims = signing.verify(token, jwks, now=ctx.backend.clock.time(), audiences=audiences)
    except signing.InvalidToken:
        return None
    sub = str(claims.get("sub", ""))
    if claims.get("iss") not in issuers or not sub.startswith("system:serviceaccount:"):
        return None
    parts = sub.split(":")
    if len(parts) != 4:
        return None
    store = wire.section(ctx).store(ctx.params["cluster"])
    sa = store.find("serviceaccounts", parts[2], parts[3]) if store else None
    bound = ((claims.get("kubernetes.io") or {}).get("serviceaccount") or {}).get("uid")
    if sa is None or (bound and bound != sa["metadata"].get("uid")):
        return None
    return sub


async def authenticate(ctx: RequestContext) -> None:
    doc = clusters.cluster_by_key(ctx.state, ctx.params.get("cluster", ""))
    if doc is None:
        raise errors.KubeError(404, "NotFound", wire.NOT_FOUND_MESSAGE)
    token = ctx.bearer_token
    if not token:
        raise errors.unauthorized()
    if hmac.compare_digest(token.encode(), clusters.user_token(ctx.backend, doc).encode()):
        ctx.principal_label = "kubernetes:masterclient"
        return
    subject = _service_account(ctx, doc, token)
    if subject is None:
        raise errors.unauthorized()
    ctx.principal_label = f"kubernetes:{subject}"


async def authenticate_optional(ctx: RequestContext) -> None:
    """/version and health: anonymous allowed (system:public-info-viewer), a bad token is not."""
    if ctx.bearer_token is not None:
        await authenticate(ctx)
    elif clusters.cluster_by_key(ctx.state, ctx.params.get("cluster", "")) is None:
        raise errors.KubeError(404, "NotFound", wire.NOT_FOUND_MESSAGE)
