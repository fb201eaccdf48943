"""May the caller create role assignments on the Azure OpenAI account? Asked of the permissions
API, so the answer comes before anything is changed (00 asks it; 03 asks again before it acts)."""
from __future__ import annotations

import fnmatch
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

WRITE_ACTION = "Microsoft.Authorization/roleAssignments/write"


def _matches(action: str, patterns: list[str] | None) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in (patterns or []))


def caller_may_assign(clients: Any, group: str, account: str) -> bool | None:
    """True/False from the permissions API at the account; None if the API is not available."""
    try:
        perms = list(clients.authorization.permissions.list_for_resource(
            group, "Microsoft.CognitiveServices", "", "accounts", account))
    except ResourceNotFoundError:
        return None
    allowed = any(_matches(WRITE_ACTION, p.actions) for p in perms)
    denied = any(_matches(WRITE_ACTION, p.not_actions) for p in perms)
    return allowed and not denied
