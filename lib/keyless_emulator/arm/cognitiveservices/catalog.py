"""What the emulated accounts offer: account kinds and SKUs, deployable models and deployment SKUs.

A small, honest subset of the Azure OpenAI model catalogue: the models the article and the
aks-store-demo use, plus common neighbours, each with the versions Azure deploys and whether
the model answers chat completions or embeddings.
"""
from __future__ import annotations

from dataclasses import dataclass

ACCOUNT_KINDS = {"OpenAI": ("S0",), "AIServices": ("S0",)}
DEPLOYMENT_SKUS = ("Standard", "GlobalStandard", "DataZoneStandard")

CHAT = "chatCompletion"
EMBEDDINGS = "embeddings"


@dataclass(frozen=True)
class Model:
    name: str
    versions: tuple[str, ...]
    capability: str
    max_context_tokens: int


MODELS: dict[str, Model] = {m.name: m for m in (
    Model("gpt-4o-mini", ("2024-07-18",), CHAT, 128000),
    Model("gpt-4o", ("2024-05-13", "2024-08-06", "2024-11-20"), CHAT, 128000),
    Model("gpt-4.1", ("2025-04-14",), CHAT, 1047576),
    Model("gpt-4.1-mini", ("2025-04-14",), CHAT, 1047576),
    Model("gpt-4.1-nano", ("2025-04-14",), CHAT, 1047576),
    Model("gpt-35-turbo", ("0125", "1106"), CHAT, 16385),
    Model("text-embedding-ada-002", ("2",), EMBEDDINGS, 8191),
    Model("text-embedding-3-small", ("1",), EMBEDDINGS, 8191),
    Model("text-embedding-3-large", ("1",), EMBEDDINGS, 8191),
)}


def find_model(name: str, version: str) -> Model | None:
    model = MODELS.get(name)
    return model if model is not None and version in model.versions else None


def capability_of(model_name: str) -> str | None:
    model = MODELS.get(model_name)
    return model.capability if model else None


# Each subscription's regional quota per model and deployment SKU, in capacity units (thousands of
# tokens per minute). Real limits vary by subscription, region, model and SKU; one figure of the
# order Azure grants a pay-as-you-go subscription keeps the rule (the sum of the deployments of a
# model and SKU in a region may not exceed it) observable.
QUOTA_LIMIT = 1000


def usage_name(sku: str, model: str) -> str:
    """The quota's name in Azure's InsufficientQuota message ("Tokens Per Minute (thousands) - <model>"
    for Standard is quoted in public reports; the prefix of other SKUs is not confirmed)."""
    prefix = "Tokens Per Minute (thousands)" if sku == "Standard" else f"{sku} Tokens Per Minute (thousands)"
    return f"{prefix} - {model}"
