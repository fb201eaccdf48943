"""A deterministic stand-in for the model: same request, same answer.

The aks-store-demo ai-service asks "Generate a product description for the product '{name}'
with the following tags: '{tags}'." — for that prompt the answer is a witty two-to-three
sentence description naming the product and its tags; other prompts get a short, plain reply
built from their own words. Choices among phrasings come from a hash of the request, tokens are
counted from words (about 4 tokens for 3 words), and the response carries what Azure adds:
prompt and per-choice content filter results and a system fingerprint.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

from .models import ChatRequest

# The two ways a store app words its request: "... product '<name>' with the following tags: '<a, b>'"
# and "Product name: <name>\nTags: <a, b>".
_PRODUCT_PROMPTS = (
    re.compile(r"product\s+'(?P<name>.+?)'\s+with the following tags:\s*'(?P<tags>.*?)'", re.IGNORECASE | re.DOTALL),
    re.compile(r"product name:\s*(?P<name>[^\n]+?)\s*\n\s*tags:\s*(?P<tags>[^\n]*)", re.IGNORECASE),
)

_OPENERS = (
    "Meet the {name}, the {tag} sidekick you never knew you needed.",
    "Say hello to the {name}, where {tag} finally gets the spotlight it deserves.",
    "The {name} is proof that {tag} never goes out of style.",
    "Behold the {name}: {tag} brilliance, with a wink.",
)
_MIDDLES = (
    "Made for lovers of {tags}, it turns ordinary days into small celebrations.",
    "With a generous helping of {tags}, it brings just the right amount of joy to every moment.",
    "Think {tags}, wrapped up in one delightfully practical package.",
)
_CLOSERS = (
    "Side effects may include wagging tails and very smug cats.",
    "Once you try it, there is no going back.",
    "Go on, treat yourself, or someone with whiskers.",
    "Your pets will thank you, probably with snacks they found under the sofa.",
)
_GENERIC = (
    "Here is a short answer about {topic}: it is simpler than it looks once you take it one step at a time.",
    "On {topic}: start small, check each step, and the rest follows.",
)
_STOPWORDS = frozenset("a an and are as at be by for from how i in is it me of on or please tell the to what with you "
                       "your can could would should do does".split())
_SAFE = {"filtered": False, "severity": "safe"}


def request_digest(deployment_id: str, request: ChatRequest) -> bytes:
    canonical = json.dumps({"deployment": deployment_id.lower(), "messages": request.messages, "n": request.n,
                            "max_tokens": request.max_tokens, **request.extra}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).digest()


def count_tokens(text: str) -> int:
    words = len(text.split())
    return math.ceil(words * 4 / 3) if words else 0


def _pick(options: tuple[str, ...], digest: bytes, i: int) -> str:
    return options[digest[i % len(digest)] % len(options)]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def product_description(name: str, tags: list[str], digest: bytes) -> str:
    tags = [t for t in tags if t] or ["everyday adventure"]
    sentences = [_pick(_OPENERS, digest, 0).format(name=name, tag=tags[0]),
                 _pick(_MIDDLES, digest, 1).format(tags=_join(tags))]
    if digest[2] % 3:
        sentences.append(_pick(_CLOSERS, digest, 3))
    return " ".join(sentences)


def reply_text(request: ChatRequest, digest: bytes) -> str:
    user = request.text_of("user")
    m = next((found for found in (p.search(user) for p in _PRODUCT_PROMPTS) if found), None)
    if m:
        tags = [t.strip() for t in m.group("tags").split(",")]
        return product_description(m.group("name").strip(), tags, digest)
    words = [w for w in re.findall(r"[\w'-]+", user.lower()) if w not in _STOPWORDS]
    topic = " ".join(words[:6]) or "your question"
    return _pick(_GENERIC, digest, 0).format(topic=topic)


def _truncate(text: str, max_tokens: int | None) -> tuple[str, str]:
    if max_tokens is None or count_tokens(text) <= max_tokens:
        return text, "stop"
    words = text.split()
    keep = max(1, math.floor(max_tokens * 3 / 4))
    return " ".join(words[:keep]), "length"


def _content_filter(prompt: bool) -> dict[str, Any]:
    results: dict[str, Any] = {k: dict(_SAFE) for k in ("hate", "self_harm", "sexual", "violence")}
    if prompt:
        results["jailbreak"] = {"filtered": False, "detected": False}
    else:
        results["protected_material_code"] = {"filtered": False, "detected": False}
        results["protected_material_text"] = {"filtered": False, "detected": False}
    return results


def model_label(model: dict[str, Any]) -> str:
    """'gpt-4o-mini' + '2024-07-18' -> 'gpt-4o-mini-2024-07-18' (dated versions are part of the name Azure reports)."""
    version = str(model.get("version", ""))
    return f"{model['name']}-{version}" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", version) else model["name"]


def chat_completion(deployment: dict[str, Any], request: ChatRequest, created: int) -> dict[str, Any]:
    digest = request_digest(deployment["id"], request)
    choices, completion_tokens = [], 0
    for index in range(request.n):
        choice_digest = hashlib.sha256(digest + index.to_bytes(2, "big")).digest() if index else digest
        text, finish_reason = _truncate(reply_text(request, choice_digest), request.max_tokens)
        completion_tokens += count_tokens(text)
        choices.append({"index": index, "finish_reason": finish_reason, "logprobs": None,
                        "message": {"role": "assistant", "content": text, "refusal": None, "annotations": []},
                        "content_filter_results": _content_filter(prompt=False)})
    prompt_tokens = sum(count_tokens(m["content"]) + 4 for m in request.messages) + 3
    return {"id": "chatcmpl-" + hashlib.sha256(digest).hexdigest()[:29], "object": "chat.completion",
            "created": created, "model": model_label(deployment["properties"]["model"]),
            "system_fingerprint": "fp_" + hashlib.sha256(deployment["id"].lower().encode()).hexdigest()[:10],
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": _content_filter(prompt=True)}],
            "choices": choices,
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens,
                      "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
                      "completion_tokens_details": {"accepted_prediction_tokens": 0, "audio_tokens": 0,
                                                    "reasoning_tokens": 0, "rejected_prediction_tokens": 0}}}
