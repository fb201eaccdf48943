"""Paged lists the way Resource Manager providers page them (MSI does): `$top` items per page and
an opaque `$skiptoken` in an absolute `nextLink`.

Wire work only, shared by handlers: `page` reads the request's `$top` and `$skiptoken` and renders
one page; the link is rendered from the emulator's URL at answer time.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from .errors import invalid_paging


def _query_value(query: dict[str, str], name: str) -> str | None:
    for key, value in query.items():
        if key.lower() == name.lower():
            return value
    return None


def _positive(query: dict[str, str], name: str, *, allow_zero: bool = False) -> int | None:
    raw = _query_value(query, name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise invalid_paging(name, raw) from None
    if value < (0 if allow_zero else 1):
        raise invalid_paging(name, raw)
    return value


def page(items: list[dict[str, Any]], query: dict[str, str], link: str, api_version: str) -> dict[str, Any]:
    """One page of `items`; `link` is the absolute URL of the list without its query."""
    top = _positive(query, "$top")
    skip = _positive(query, "$skiptoken", allow_zero=True) or 0
    end = len(items) if top is None else skip + top
    body: dict[str, Any] = {"value": items[skip:end]}
    if end < len(items):
        body["nextLink"] = link + "?" + urlencode({"api-version": api_version, "$top": top, "$skiptoken": end})
    return body
