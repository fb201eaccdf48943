"""Who am I, and may I: `SelfSubjectReview` (kubectl auth whoami), `SelfSubjectAccessReview`
(kubectl auth can-i) and `SubjectAccessReview` (may this user...). The access reviews answer from the
same authorizer chain that decides every request (kubernetes/authz), so `can-i` never disagrees with
what the API server then does."""
from __future__ import annotations

from typing import Any

from starlette.responses import Response

from .. import clusters
from ..context import RequestContext
from . import authz, wire
from .authz import attributes, user


async def _spec(ctx: RequestContext) -> dict[str, Any]:
    try:
        body = await wire.body(ctx)
    except wire.errors.KubeError:
        return {}
    return (body or {}).get("spec") or {} if isinstance(body, dict) else {}


def _status(ctx: RequestContext, who: user.UserInfo, spec: dict[str, Any]) -> dict[str, Any]:
    doc = clusters.cluster_by_key(ctx.state, ctx.params["cluster"])
    store = wire.section(ctx).store(ctx.params["cluster"])
    assert doc is not None and store is not None  # authentication found both
    decision = authz.decide(ctx.state, store, doc, who, attributes.from_review(spec))
    status: dict[str, Any] = {"allowed": decision.allowed}
    if decision.allowed:
        status["reason"] = {"AzureRBAC": "allowed by Azure RBAC for Kubernetes authorization",
                            "system:masters": "allowed: a member of system:masters"}.get(
                                decision.by, "RBAC: allowed by a role binding")
    elif decision.reason:
        status["reason"] = decision.reason
    return status


def _review(kind: str, spec: dict[str, Any], status: dict[str, Any]) -> Response:
    return wire.json_response({"kind": kind, "apiVersion": "authorization.k8s.io/v1",
                               "metadata": {"creationTimestamp": None}, "spec": spec, "status": status}, 201)


async def create_self_subject_review(ctx: RequestContext) -> Response:
    version = ctx.params.get("version", "v1")
    return wire.json_response({"kind": "SelfSubjectReview", "apiVersion": f"authentication.k8s.io/{version}",
                               "metadata": {"creationTimestamp": None},
                               "status": {"userInfo": ctx.kube_user.as_status()}}, 201)


async def create_self_subject_access_review(ctx: RequestContext) -> Response:
    spec = await _spec(ctx)
    return _review("SelfSubjectAccessReview", spec, _status(ctx, ctx.kube_user, spec))


async def create_subject_access_review(ctx: RequestContext) -> Response:
    """The user named in the spec (`user`, `groups`; an Entra caller by `extra.oid`)."""
    spec = await _spec(ctx)
    extra = spec.get("extra") or {}
    oid = next(iter(extra.get("oid") or []), "") if isinstance(extra, dict) else ""
    who = user.UserInfo(str(spec.get("user", "")), tuple(str(g) for g in spec.get("groups") or ()),
                        str(spec.get("uid", "")), entra_object_id=str(oid))
    return _review("SubjectAccessReview", spec, _status(ctx, who, spec))
