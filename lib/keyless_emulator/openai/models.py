"""Which account and deployment a data-plane call addresses, who may call it, and what it asks.

An account answers at `/aoai/{customSubDomainName}/` (its `properties.endpoint`). Accounts
without a custom subdomain answer only at their regional endpoint `/aoai/regional-{location}/`,
where — as in Azure — an API key selects the account and Entra tokens are refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..arm.cognitiveservices import catalog
from ..arm.cognitiveservices.models import ACCOUNT_TYPE, account_for_subdomain, deployment_id, key_matches
from ..arm.rbac import is_allowed
from ..state import EmulatorState, Principal
from . import errors

REGIONAL_PREFIX = "regional-"
ROLES = ("system", "user", "assistant", "tool", "developer", "function")


def is_regional(subdomain: str) -> bool:
    return subdomain.lower().startswith(REGIONAL_PREFIX)


def _regional_accounts(state: EmulatorState, subdomain: str) -> list[dict[str, Any]] | None:
    """The accounts a regional endpoint serves, or None when `subdomain` is not a regional endpoint
    (a custom subdomain that happens to start with the prefix is still a custom subdomain)."""
    if not is_regional(subdomain) or account_for_subdomain(state, subdomain) is not None:
        return None
    location = subdomain[len(REGIONAL_PREFIX):].lower()
    return [d for d in state.resources.of_type(ACCOUNT_TYPE) if d["location"] == location]


def account_by_key(state: EmulatorState, subdomain: str, api_key: str) -> tuple[dict[str, Any], str] | None:
    """The account an API key opens at an endpoint, and which key it is (key1/key2)."""
    candidates = _regional_accounts(state, subdomain)
    if candidates is None:
        account = account_for_subdomain(state, subdomain)
        candidates = [account] if account else []
    for account in candidates:
        which = key_matches(state, account, api_key)
        if which:
            return account, which
    return None


def require_endpoint(state: EmulatorState, subdomain: str) -> dict[str, Any] | None:
    """The account behind a custom-subdomain endpoint (None for a regional one); 404 when nothing answers there."""
    regional = _regional_accounts(state, subdomain)
    if regional is not None:
        if not regional:
            raise errors.resource_not_found(subdomain)
        return None
    account = account_for_subdomain(state, subdomain)
    if account is None:
        raise errors.resource_not_found(subdomain)
    return account


def tenant_of(state: EmulatorState, account: dict[str, Any]) -> str | None:
    sub = state.subscription(account["id"].split("/")[2])
    return sub.tenant_id if sub else None


def may_call(state: EmulatorState, principal: Principal | None, data_action: str, account: dict[str, Any],
             now: float) -> bool:
    """Whether the principal holds the data action on the account, counting only assignments older than
    the `role_propagation_seconds` setting (Azure takes minutes to propagate a new assignment)."""
    if principal is None:
        return False
    delay = float(state.settings.get("role_propagation_seconds", 0) or 0)
    return is_allowed(state, principal.object_id, data_action, account["id"], data=True, made_before=now - delay)


def require_deployment(state: EmulatorState, account: dict[str, Any], name: str) -> dict[str, Any]:
    """A provisioned deployment; one still being created is not there yet."""
    doc = state.resources.get(deployment_id(account["id"], name))
    if doc is None or doc["properties"].get("provisioningState") != "Succeeded":
        raise errors.deployment_not_found()
    return doc


def require_capability(deployment: dict[str, Any], capability: str, operation: str) -> None:
    model = deployment["properties"]["model"]["name"]
    if catalog.capability_of(model) != capability:
        raise errors.operation_not_supported(operation, model)


# -- the chat completions request ----------------------------------------------------------
@dataclass
class ChatRequest:
    messages: list[dict[str, str]]
    n: int = 1
    max_tokens: int | None = None
    temperature: float = 1.0
    stream: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def text_of(self, role: str) -> str:
        return "\n".join(m["content"] for m in self.messages if m["role"] == role)


def _content_text(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or "type" not in part:
                raise errors.InvalidRequest(f"Invalid content part in messages[{index}]: each part must be an object "
                                            "with a 'type'.", f"messages.[{index}].content")
            if part["type"] == "text":
                parts.append(str(part.get("text", "")))
        return " ".join(parts)
    if content is None:
        return ""
    raise errors.InvalidRequest(f"Invalid type for 'messages.[{index}].content': expected a string or an array of "
                                "content parts.", f"messages.[{index}].content")


def _number(body: dict[str, Any], name: str, lo: float, hi: float, default: float, integer: bool = False) -> Any:
    value = body.get(name)
    if value is None:
        return default
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or not (lo <= value <= hi):
        kind = "an integer" if integer else "a number"
        raise errors.InvalidRequest(f"Invalid '{name}': must be {kind} between {lo:g} and {hi:g}; got {value!r}.", name)
    return value


def parse_chat_request(body: Any) -> ChatRequest:
    if not isinstance(body, dict):
        raise errors.InvalidRequest("The request body must be a JSON object.")
    messages = body.get("messages")
    if messages is None:
        raise errors.InvalidRequest("'messages' is a required property", "messages")
    if not isinstance(messages, list) or not messages:
        raise errors.InvalidRequest(f"{messages!r} is too short - 'messages'", "messages")
    parsed = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise errors.InvalidRequest(f"Invalid value for 'messages.[{i}].role': expected one of "
                                        f"{', '.join(ROLES)}.", f"messages.[{i}].role")
        parsed.append({"role": m["role"], "content": _content_text(m.get("content"), i)})
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None:
        max_tokens = _number({"max_tokens": max_tokens}, "max_tokens", 1, 1_000_000, 0, integer=True)
    return ChatRequest(messages=parsed, n=_number(body, "n", 1, 128, 1, integer=True), max_tokens=max_tokens,
                       temperature=_number(body, "temperature", 0, 2, 1.0), stream=bool(body.get("stream", False)),
                       extra={k: v for k, v in body.items() if k in ("seed", "user", "top_p")})
