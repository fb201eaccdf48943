"""The instance metadata identity endpoint as a pod on an emulated node sees it.

Pods get `AZURE_POD_IDENTITY_AUTHORITY_HOST={emulator}/_imds` (outside the pod spec), which both
azure-identity's ImdsCredential and MSAL's managed identity client use instead of
http://169.254.169.254, so a credential chain that falls through to managed identity asks the
emulator, never the link-local address. The node has no identity a pod may use, so the answer
is IMDS's own: 400 `{"error": "invalid_request", "error_description": "Identity not found"}`.
"""
from __future__ import annotations

from starlette.responses import JSONResponse, Response

from ..context import RequestContext

IMDS_PREFIX = "/_imds"


def authority_host(base_url: str) -> str:
    return base_url.rstrip("/") + IMDS_PREFIX


async def get_managed_identity_token(ctx: RequestContext) -> Response:
    if ctx.request.headers.get("metadata", "").lower() != "true":
        return JSONResponse({"error": "invalid_request", "error_description": "Required metadata header not specified"},
                            status_code=400)
    if not ctx.query.get("resource"):
        return JSONResponse({"error": "invalid_request",
                             "error_description": "Required audience parameter not specified"},
                            status_code=400)
    return JSONResponse({"error": "invalid_request", "error_description": "Identity not found"}, status_code=400)
