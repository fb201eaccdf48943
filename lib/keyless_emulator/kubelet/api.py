"""What the kubelet needs from one cluster's API server: the only surface it touches.

`ClusterAPI` is implemented over the Kubernetes section's object store (see `bind.py`); the
kubelet reads and writes objects as plain dicts in Kubernetes JSON shape, and is told of changes
through `watch`. Every call is thread-safe on the store's side.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

Listener = Callable[[str, dict[str, Any]], None]  # (event type ADDED/MODIFIED/DELETED, object)


class ClusterAPI(Protocol):
    @property
    def key(self) -> str:
        """The cluster key (the API server path segment): names the cluster's folders."""

    def cluster_doc(self) -> dict[str, Any] | None:
        """The managed cluster's Resource Manager document (None once the cluster is gone)."""

    def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None: ...

    def list(self, resource: str, namespace: str | None = None) -> list[dict[str, Any]]: ...

    def update_status(self, resource: str, namespace: str, name: str, status: dict[str, Any]) -> None:
        """Replace the object's status (no-op when the object is gone)."""

    def update(self, resource: str, namespace: str, name: str, mutate: Callable[[dict[str, Any]], None]) -> None:
        """Apply `mutate` to the stored object (spec/metadata changes such as nodeName, annotations)."""

    def event(self, involved: dict[str, Any], reason: str, message: str, *, type_: str = "Normal",
              component: str = "kubelet", host: str = "") -> None: ...

    def watch(self, resource: str, listener: Listener) -> Callable[[], None]:
        """Call `listener` on every change of `resource`; returns the function that stops it."""
