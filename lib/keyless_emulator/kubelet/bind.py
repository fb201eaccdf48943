"""`ClusterAPI` over one cluster's object store (`kubernetes.store.ClusterStore`).

The assembly makes this view the store's node (`store.node`): the store tells it of every
committed change (`observe`), and it hands the changes of each watched resource to the
kubelet's listeners.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..kubernetes import errors as kerrors
from ..kubernetes.plain import clone
from .api import Listener

MANAGER = "kubelet"  # the field manager its writes are recorded under (managedFields)


class StoreClusterAPI:
    def __init__(self, store: Any):
        self.store = store
        self._listeners: dict[str, list[Listener]] = {}

    def observe(self, type_: str, resource: str, obj: dict[str, Any]) -> None:
        """A committed change of the store (called by the store, in the writer's thread)."""
        for listener in list(self._listeners.get(resource, ())):
            listener(type_, obj)

    @property
    def closed(self) -> bool:
        """The store was dropped (its cluster deleted, or the state reset)."""
        return bool(self.store.closed)

    @property
    def key(self) -> str:
        return self.store.cluster_key

    def cluster_doc(self) -> dict[str, Any] | None:
        return self.store.cluster.doc

    def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return self.store.find(resource, namespace, name)

    def list(self, resource: str, namespace: str | None = None) -> list[dict[str, Any]]:
        return self.store.list(resource, namespace)[0]

    def update_status(self, resource: str, namespace: str, name: str, status: dict[str, Any]) -> None:
        if self.store.closed:
            return
        try:
            self.store.update_status(resource, namespace, name, status, manager=MANAGER)
        except kerrors.KubeError as e:
            if e.status != 404:
                raise

    def update(self, resource: str, namespace: str, name: str, mutate: Callable[[dict[str, Any]], None]) -> None:
        for _ in range(5):
            current = self.store.find(resource, namespace, name)
            if current is None or self.store.closed:
                return
            new = clone(current)
            mutate(new)
            if new == current:
                return
            try:
                self.store.replace(resource, new, namespace, name, manager=MANAGER)
                return
            except kerrors.KubeError as e:
                if e.status == 404:
                    return
                if e.status != 409:
                    raise

    def event(self, involved: dict[str, Any], reason: str, message: str, *, type_: str = "Normal",
              component: str = "kubelet", host: str = "") -> None:
        if self.store.closed:
            return
        self.store.record_event(involved, reason, message, type=type_, source_component=component, host=host or None)

    def watch(self, resource: str, listener: Listener) -> Callable[[], None]:
        self._listeners.setdefault(resource, []).append(listener)

        def stop() -> None:
            try:
                self._listeners.get(resource, []).remove(listener)
            except ValueError:
                pass
        return stop
