"""Authentication of a cluster's API server (AUTH_KUBERNETES), then authorization by the cluster's
authorizer chain (kubernetes/authz).

Accepted bearer tokens, each giving the caller as kube-apiserver would see it (authz/user.py):
- the local account's token from the kubeconfig (compared in constant time with `clusters.user_token` of
  the cluster the path names): AKS's `masterclient` in system:masters, refused once the cluster disables
  local accounts;
- on a cluster with AKS-managed Microsoft Entra integration, a Microsoft Entra access token for the AKS
  server application (audience 6dae42f8-4368-4678-94ff-3960e28e3630) from the cluster's tenant, of a
  principal that exists, not expired: the caller is its object id (or upn), with its groups;
- a service-account token of that cluster (signed by its issuer key, issued by the cluster's issuer or the
  default one, audience the API server, the account still existing with the same uid).
Anything else, including another cluster's token, a token for another audience or an expired one, or no
token: 401 Status `Unauthorized`. A path naming no cluster: 404.

Then the request's attributes (authz/attributes.py) go through the chain; a denial is the 403 Status with
kube-apiserver's message and the authorizers' reasons.
"""
from __future__ import annotations

import hmac
from typing import Any

from .. import clusters, signing
from ..context import RequestContext
from ..entra.tokens import AKS_AUDIENCES, principal_of, verify_access_token
from . import authz, errors, tokens, wire
from .authz import attributes, user


def _service_account(ctx: RequestContext, doc: dict, token: str) -> user.UserInfo | None:
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
    return user.service_account(sub, sa["metadata"].get("uid", ""))


def _entra(ctx: RequestContext, doc: dict[str, Any], token: str) -> user.UserInfo | None:
    """A Microsoft Entra access token for the AKS server application, from the cluster's Entra tenant."""
    if not clusters.entra_integrated(doc):
        return None
    try:
        claims = verify_access_token(ctx.backend, token, AKS_AUDIENCES)
    except signing.InvalidToken:
        return None
    tenant = clusters.aad_profile(doc).get("tenantID") or clusters.tenant_of(ctx.state, doc["id"])
    if claims.get("tid") != tenant or principal_of(ctx.backend, claims) is None:
        return None
    return user.entra(claims)


def _caller(ctx: RequestContext, doc: dict[str, Any], token: str) -> user.UserInfo | None:
    if hmac.compare_digest(token.encode(), clusters.user_token(ctx.backend, doc).encode()):
        return None if clusters.local_accounts_disabled(doc) else user.local_account()
    return _entra(ctx, doc, token) or _service_account(ctx, doc, token)


def request_attributes(ctx: RequestContext) -> attributes.Attributes:
    """The request's attributes: its path below `/k8s/{cluster}`, its method and query."""
    below = "/" + "/".join(ctx.path.split("/")[3:])
    return attributes.from_request(ctx.method, below, ctx.query)


def authorize(ctx: RequestContext, doc: dict[str, Any], caller: user.UserInfo) -> None:
    store = wire.section(ctx).store(ctx.params["cluster"])
    if store is None:
        raise errors.KubeError(404, "NotFound", wire.NOT_FOUND_MESSAGE)
    a = request_attributes(ctx)
    decision = authz.decide(ctx.state, store, doc, caller, a)
    if not decision.allowed:
        raise errors.forbidden_request(authz.denial_message(caller, a, decision), a.resource, a.name, a.api_group)


async def authenticate(ctx: RequestContext) -> None:
    doc = clusters.cluster_by_key(ctx.state, ctx.params.get("cluster", ""))
    if doc is None:
        raise errors.KubeError(404, "NotFound", wire.NOT_FOUND_MESSAGE)
    token = ctx.bearer_token
    if not token:
        raise errors.unauthorized()
    caller = _caller(ctx, doc, token)
    if caller is None:
        raise errors.unauthorized()
    ctx.kube_user = caller
    ctx.principal_label = f"kubernetes:{caller.username}"
    authorize(ctx, doc, caller)


async def authenticate_optional(ctx: RequestContext) -> None:
    """/version and health: anonymous allowed (system:public-info-viewer), a bad token is not."""
    if ctx.bearer_token is not None:
        await authenticate(ctx)
    elif clusters.cluster_by_key(ctx.state, ctx.params.get("cluster", "")) is None:
        raise errors.KubeError(404, "NotFound", wire.NOT_FOUND_MESSAGE)
