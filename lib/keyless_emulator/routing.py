"""Routes as data: one `Route` per operation, matched case-insensitively.

Azure Resource Manager treats paths case-insensitively and the SDKs do not agree on casing
(`resourcegroups` vs `resourceGroups`), so every pattern compiles with re.IGNORECASE.
A placeholder `{name}` matches one path segment; `{name:path}` matches one or more.
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

_PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?::(path))?\}")

# Which authentication a route demands; the handler chain (app.py) enforces it.
AUTH_NONE = "none"          # public: discovery documents, token endpoint, health
AUTH_ARM = "arm"            # Entra token for Resource Manager, then RBAC on `action`
AUTH_OPENAI = "openai"      # Entra token for Cognitive Services, or an api-key
AUTH_CONTROL = "control"    # operator token or the local admin key
AUTH_KUBERNETES = "kubernetes"  # cluster-bound bearer token from the kubeconfig
AUTH_GRAPH = "graph"        # Entra token for the emulator's Microsoft Graph
AUTH_OWN = "own"            # the handler authenticates by itself


def compile_path(template: str) -> re.Pattern[str]:
    pattern, last = "", 0
    for m in _PLACEHOLDER.finditer(template):
        pattern += re.escape(template[last:m.start()])
        name, kind = m.group(1), m.group(2)
        pattern += f"(?P<{name}>.+?)" if kind == "path" else f"(?P<{name}>[^/]+)"
        last = m.end()
    pattern += re.escape(template[last:])
    return re.compile("^" + pattern + "/?$", re.IGNORECASE)


@dataclass(frozen=True)
class Route:
    """One operation: method + path template -> endpoint.

    `action` is the Azure RBAC action the caller needs (ARM routes only); `scope` names the
    path parameter, or a callable of the parameters, giving the scope the action applies to.
    `lists` marks a collection GET by the resource type it returns: a caller who may not
    perform `action` on the whole scope still gets the items it may read (the request chain
    narrows the list, as Resource Manager does), and 403 only when that is none.
    """

    method: str
    path: str
    endpoint: Callable[..., Awaitable[Any]]
    auth: str = AUTH_ARM
    action: str | None = None
    scope: str | Callable[[dict[str, str]], str] | None = None
    name: str = ""
    lists: str | None = None
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", compile_path(self.path))
        if not self.name:
            object.__setattr__(self, "name", self.endpoint.__name__)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in ("*", method):
            return None
        m = self.regex.match(path)
        return m.groupdict() if m else None

    def scope_for(self, params: dict[str, str]) -> str | None:
        if self.scope is None:
            return None
        if callable(self.scope):
            return self.scope(params)
        return params[self.scope]


@dataclass
class Match:
    route: Route
    params: dict[str, str]


class Router:
    """An ordered list of routes; the first match wins."""

    def __init__(self, routes: Iterable[Route]):
        self.routes = list(routes)

    def match(self, method: str, path: str) -> Match | None:
        for route in self.routes:
            params = route.match(method, path)
            if params is not None:
                return Match(route, params)
        return None

    def allowed_methods(self, path: str) -> list[str]:
        return sorted({r.method for r in self.routes if r.regex.match(path)})
