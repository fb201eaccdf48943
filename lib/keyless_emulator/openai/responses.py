"""Thin handlers for the Azure OpenAI data plane, named after the REST operations."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from ..arm.cognitiveservices import catalog
from ..context import RequestContext
from . import completion, errors, models


def _account(ctx: RequestContext) -> dict[str, Any]:
    subdomain = ctx.params["subdomain"]
    account = models.require_endpoint(ctx.state, subdomain)
    if account is None:  # a regional endpoint: the API key chose the account
        found = models.account_by_key(ctx.state, subdomain, ctx.request.headers.get("api-key", ""))
        if found is None:
            raise errors.invalid_key()
        account = found[0]
    return account


def _headers(ctx: RequestContext, deployment: dict[str, Any], usage: dict[str, int]) -> dict[str, str]:
    limits = {r["key"]: r["count"] for r in deployment["properties"].get("rateLimits", [])}
    return {"apim-request-id": ctx.request_id, "x-ms-deployment-name": deployment["name"],
            "x-ratelimit-remaining-requests": str(max(0, limits.get("request", 1) - 1)),
            "x-ratelimit-remaining-tokens": str(max(0, limits.get("token", 1000) - usage["total_tokens"]))}


def _stream(body: dict[str, Any]) -> Iterator[bytes]:
    """The completion as server-sent events, the way Azure streams it (filter results first, [DONE] last)."""
    head = {k: body[k] for k in ("id", "created", "model", "system_fingerprint")}
    yield _event({**head, "object": "", "choices": [], "prompt_filter_results": body["prompt_filter_results"]})
    for choice in body["choices"]:
        i = choice["index"]
        yield _event({**head, "object": "chat.completion.chunk",
                      "choices": [{"index": i, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
        for word in choice["message"]["content"].split(" "):
            yield _event({**head, "object": "chat.completion.chunk",
                          "choices": [{"index": i, "delta": {"content": word + " "}, "finish_reason": None,
                                       "content_filter_results": choice["content_filter_results"]}]})
        yield _event({**head, "object": "chat.completion.chunk",
                      "choices": [{"index": i, "delta": {}, "finish_reason": choice["finish_reason"]}]})
    yield b"data: [DONE]\n\n"


def _event(data: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(data).encode() + b"\n\n"


async def chat_completions_create(ctx: RequestContext) -> Response:
    if not ctx.api_version:
        raise errors.missing_api_version()
    deployment = models.require_deployment(ctx.state, _account(ctx), ctx.params["deployment"])
    models.require_capability(deployment, catalog.CHAT, "chatCompletion")
    request = models.parse_chat_request(await ctx.json())
    body = completion.chat_completion(deployment, request, int(ctx.backend.clock.time()))
    headers = _headers(ctx, deployment, body["usage"])
    if request.stream:
        return StreamingResponse(_stream(body), media_type="text/event-stream", headers=headers)
    return JSONResponse(body, headers=headers)
