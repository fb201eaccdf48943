"""Who am I, and may I: `SelfSubjectReview` (kubectl auth whoami) and `SelfSubjectAccessReview`
(kubectl auth can-i). The cluster user of the kubeconfig is AKS's local `masterclient` in
`system:masters`, so every access review is allowed; the emulator does not model RBAC, so a
service account's review is allowed too (reason says so)."""
from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..context import RequestContext
from . import wire

MASTERCLIENT = "masterclient"


def _user(ctx: RequestContext) -> dict[str, Any]:
    label = ctx.principal_label.removeprefix("kubernetes:")
    if label.startswith("system:serviceaccount:"):
        namespace = label.split(":")[2]
        return {"username": label, "groups": ["system:serviceaccounts", f"system:serviceaccounts:{namespace}",
                                              "system:authenticated"]}
    return {"username": MASTERCLIENT, "groups": ["system:masters", "system:authenticated"]}


async def _spec(ctx: RequestContext) -> dict[str, Any]:
    try:
        body = await wire.body(ctx)
    except wire.errors.KubeError:
        return {}
    return (body or {}).get("spec") or {} if isinstance(body, dict) else {}


async def create_self_subject_review(ctx: RequestContext) -> Response:
    version = ctx.params.get("version", "v1")
    return wire.json_response({"kind": "SelfSubjectReview", "apiVersion": f"authentication.k8s.io/{version}",
                               "metadata": {"creationTimestamp": None}, "status": {"userInfo": _user(ctx)}}, 201)


async def create_self_subject_access_review(ctx: RequestContext) -> Response:
    user = _user(ctx)
    reason = "" if user["username"] == MASTERCLIENT else "the emulator does not model RBAC; every request is allowed"
    status: dict[str, Any] = {"allowed": True}
    if reason:
        status["reason"] = reason
    return wire.json_response({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                               "metadata": {"creationTimestamp": None}, "spec": await _spec(ctx),
                               "status": status}, 201)
