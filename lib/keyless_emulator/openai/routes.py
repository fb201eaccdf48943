"""The URL space of the Azure OpenAI data plane: `{account endpoint}/openai/...`.

Each account's endpoint is `{emulator}/aoai/{customSubDomainName}/`; `action` is the RBAC data
action a token's principal needs on the account.
"""
from __future__ import annotations

from ..routing import AUTH_OPENAI, Route
from . import responses as r

_OPENAI = "Microsoft.CognitiveServices/accounts/OpenAI"
_DEPLOYMENT = "/aoai/{subdomain}/openai/deployments/{deployment}"

ROUTES = [
    Route("POST", _DEPLOYMENT + "/chat/completions", r.chat_completions_create, auth=AUTH_OPENAI,
          action=_OPENAI + "/deployments/chat/completions/action"),
]
