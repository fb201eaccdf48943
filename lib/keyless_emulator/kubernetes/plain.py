"""`clone(value)`: a deep copy of the plain JSON data the API server keeps (dicts, lists, strings,
numbers, booleans, None), several times cheaper than `copy.deepcopy`.

Why it exists: the store hands out and keeps copies of every object (so no caller can change what it
holds by mutating what it got), and a scenario's seeding writes hundreds of objects through the
controllers; with `copy.deepcopy` (which keeps a memo of every object it visits, to preserve shared
references and cycles) the copies were most of an emulator reset's CPU time. Objects here are JSON
trees: nothing is shared between two places and nothing refers back to itself, so the memo buys
nothing. Immutable scalars are returned as they are; anything else that is not a plain dict or list
(a tuple, a subclass) goes to `copy.deepcopy`, so the result is always an independent copy.
"""
from __future__ import annotations

import copy
from typing import Any, TypeVar

T = TypeVar("T")

_SCALARS = frozenset({str, int, float, bool, type(None)})


def clone(value: T) -> T:
    """An independent deep copy of `value` (equal to `copy.deepcopy(value)`)."""
    return _clone(value)  # type: ignore[no-any-return]


def _clone(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _SCALARS else _clone(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SCALARS else _clone(v) for v in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value)
