"""ai-service: product descriptions from Azure OpenAI (our implementation of the aks-store-demo app).

Behaviour mirrors the published 2.x image:
- `GET /health` -> `{"status": "ok", "version": APP_VERSION, "capabilities": ["description"]}`
  (plus "image" when an image deployment is configured); never calls Azure.
- `POST /generate/description` `{"name", "tags"}` -> `{"description"}`. The configuration is
  read from the environment on every request. With USE_AZURE_OPENAI and USE_AZURE_AD "true"
  (any case) a new `DefaultAzureCredential()` is built per request and handed to `AzureOpenAI`
  as a bearer token provider for `https://cognitiveservices.azure.com/.default`; otherwise the
  key in OPENAI_API_KEY or AZURE_OPENAI_API_KEY is used. Any failure answers 500
  `{"detail": "Error generating description: <exception text>"}` and is logged with its
  traceback on stderr (the pod log).
- CORS allows every origin, method and header; FastAPI's /docs and /openapi.json are served.
- The body is parsed as JSON whatever its Content-Type, as the published image (FastAPI 0.137)
  does; newer FastAPI refuses a body without one unless `strict_content_type=False`.
- Public OpenAI (USE_AZURE_OPENAI not true) and a local LLM (USE_LOCAL_LLM) would leave the
  machine: they fail as the real service does offline, with its own messages for missing settings
  and openai's "Connection error." otherwise; `/generate/image` is not implemented.
"""
from __future__ import annotations

import gc
import importlib
import logging
import os
import sys

from fastapi import FastAPI, HTTPException
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel

from .pod_runtime import serve

DEFAULT_PORT = 5001
DEFAULT_API_VERSION = "2024-12-01-preview"
COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
SYSTEM_PROMPT = ("You write product descriptions for a pet supply store. Be playful and warm, keep it to "
                 "two or three sentences, and mention what the product is for.")

logger = logging.getLogger("ai-service")


class DescriptionRequest(BaseModel):
    name: str
    tags: list[str]


class ConfigurationError(ValueError):
    pass


def _flag(name: str) -> bool:
    return os.environ.get(name, "").lower() == "true"


def _temperature() -> float:
    raw = os.environ.get("TEMPERATURE")
    if raw is None:
        return 1.0
    try:
        return float(raw)
    except ValueError:
        logger.warning("Invalid TEMPERATURE value %r, using 1.0", raw)
        return 1.0


def capabilities() -> list[str]:
    caps = ["description"]
    if ((os.environ.get("AZURE_OPENAI_IMAGE_ENDPOINT") or os.environ.get("AZURE_OPENAI_ENDPOINT"))
            and os.environ.get("AZURE_OPENAI_IMAGE_DEPLOYMENT_NAME")):
        caps.append("image")
    return caps


def _import(*modules: str) -> None:
    """Import `modules` (openai, azure-identity: not imported by the host, see host.PRELOAD) on the first
    description that needs them, with the collector off: they make hundreds of thousands of objects, none of
    them garbage, and its passes over them were a tenth of the import's time; then frozen out of its sight, as
    the host's own imports are."""
    missing = [name for name in modules if name not in sys.modules]
    if not missing:
        return
    collecting = gc.isenabled()
    gc.disable()
    try:
        for name in missing:
            importlib.import_module(name)
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def _azure_client():
    _import("openai", *(["azure.identity"] if _flag("USE_AZURE_AD") else []))
    from openai import AzureOpenAI

    deployment = os.environ.get("AZURE_OPENAI_DEPLOYMENT_NAME")
    endpoint = os.environ.get("AZURE_OPENAI_ENDPOINT")
    if not deployment or not endpoint:
        raise ConfigurationError("AZURE_OPENAI_DEPLOYMENT_NAME and AZURE_OPENAI_ENDPOINT must be provided")
    api_version = os.environ.get("AZURE_OPENAI_API_VERSION") or DEFAULT_API_VERSION
    if _flag("USE_AZURE_AD"):
        from azure.identity import DefaultAzureCredential, get_bearer_token_provider

        provider = get_bearer_token_provider(DefaultAzureCredential(), COGNITIVE_SCOPE)
        return AzureOpenAI(api_version=api_version, azure_endpoint=endpoint,
                           azure_ad_token_provider=provider), deployment
    key = os.environ.get("OPENAI_API_KEY") or os.environ.get("AZURE_OPENAI_API_KEY")
    if not key:
        raise ConfigurationError("OPENAI_API_KEY or AZURE_OPENAI_API_KEY must be provided")
    return AzureOpenAI(api_version=api_version, azure_endpoint=endpoint, api_key=key), deployment


class ConnectionFailure(RuntimeError):
    """What openai raises when its endpoint cannot be reached (APIConnectionError's text)."""

    def __init__(self) -> None:
        super().__init__("Connection error.")


def _unreachable_backend() -> None:
    """Public OpenAI and a local LLM are off this machine: the settings checks, then no connection."""
    if _flag("USE_LOCAL_LLM"):
        if not os.environ.get("LOCAL_LLM_ENDPOINT"):
            raise ConfigurationError("LOCAL_LLM_ENDPOINT must be provided")
    elif not os.environ.get("OPENAI_API_KEY") or not os.environ.get("OPENAI_ORG_ID"):
        raise ConfigurationError("OPENAI_API_KEY and OPENAI_ORG_ID must be provided")
    raise ConnectionFailure()


def generate_description(name: str, tags: list[str]) -> str:
    if _flag("USE_LOCAL_LLM") or not _flag("USE_AZURE_OPENAI"):
        _unreachable_backend()
    client, deployment = _azure_client()
    user_prompt = f"Describe this pet store product using joyful, playful, and enticing language.\n" \
                  f"Product name: {name}\nTags: {', '.join(tags)}"
    completion = client.chat.completions.create(
        model=deployment, temperature=_temperature(),
        messages=[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user_prompt}])
    return completion.choices[0].message.content or ""


app = FastAPI(title="ai-service", version=os.environ.get("APP_VERSION", "0.1.0"), strict_content_type=False)
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"],
                   allow_headers=["*"])


@app.get("/health")
def health() -> dict:
    caps = capabilities()
    print("Generative AI capabilities: ", ", ".join(caps))
    return {"status": "ok", "version": os.environ.get("APP_VERSION", "0.1.0"), "capabilities": caps}


@app.post("/generate/description")
def description(request: DescriptionRequest) -> dict:
    try:
        return {"description": generate_description(request.name, request.tags)}
    except Exception as e:  # the published service answers every failure this way
        logger.exception("Error creating completion")
        raise HTTPException(status_code=500, detail=f"Error generating description: {e}") from e


def main() -> None:
    serve(app, DEFAULT_PORT)


if __name__ == "__main__":
    sys.exit(main())
