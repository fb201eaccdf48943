"""What differs between installations, and how snapshots of a cluster's objects avoid it.

Objects may hold the emulator's URL (its port), its CA certificate, or an account key of this
data folder (an API key in a pod template). Snapshots hold placeholders instead, so two
installations in deterministic mode give the same snapshot; pod template hashes are computed
on the placeholder form too, so a ReplicaSet's name does not depend on the port.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..backend import Backend

CA_PLACEHOLDER = "{{emulator-ca-certificate}}"
URL_PLACEHOLDER = "{{emulator-url}}"

# fn() -> [(installation-specific value, placeholder)]
PlaceholderProvider = Callable[[], list[tuple[str, str]]]


def substitute(value: Any, pairs: list[tuple[str, str]]) -> Any:
    """`value` with every string occurrence of pair[0] replaced by pair[1] (recursively)."""
    if isinstance(value, str):
        for old, new in pairs:
            if old and old in value:
                value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {k: substitute(v, pairs) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, pairs) for v in value]
    return value


def installation_values(backend: Backend, providers: Iterable[PlaceholderProvider]) -> list[tuple[str, str]]:
    """(value, placeholder) pairs: the CA certificate, the URL, and what `providers` add."""
    pairs = []
    tls = backend.tls
    if tls is not None and tls.ca_cert.exists():
        pairs.append((tls.ca_cert.read_text(), CA_PLACEHOLDER))
    if backend.base_url:
        pairs.append((backend.base_url, URL_PLACEHOLDER))
    for provider in list(providers):
        pairs.extend(provider())
    return pairs
