"""The emulator's whole state: directory (tenants, subscriptions, principals), Resource
Manager documents, long-running operations, and pluggable sections (Kubernetes clusters).

Resource documents are kept in their REST JSON shape (what a GET returns), keyed by the
lower-cased resource id. Anything a service needs beside the document (timestamps used for
propagation delays, for instance) goes in `meta`, which is never returned on the wire.
Everything here is plain data, so `snapshot()` is JSON and `restore()` its inverse.
"""
from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from .clock import Clock
from .ids import IdFactory, SecretFactory

SNAPSHOT_VERSION = 1


@dataclass
class Tenant:
    id: str
    name: str
    domain: str


@dataclass
class Subscription:
    id: str
    tenant_id: str
    display_name: str
    state: str = "Enabled"


@dataclass
class Principal:
    """A service principal in a tenant's directory.

    kind is "ServicePrincipal" for an application (the seeded operator) or
    "ManagedIdentity" for the service principal behind a user-assigned identity.
    """

    object_id: str
    app_id: str
    tenant_id: str
    display_name: str
    kind: str = "ServicePrincipal"
    resource_id: str | None = None
    has_secret: bool = False


@dataclass
class Operation:
    """A long-running Resource Manager operation.

    On completion, `final` (a resource document) is stored, or when `final` is None the
    resource (and everything under it) is deleted; a delete then stores what it `leaves` (the
    soft-deleted records Azure keeps, e.g. a Cognitive Services account's deletedAccounts entry).
    `settle_after` is the wall time after which the operation reports its terminal status.
    """

    id: str
    resource_id: str
    namespace: str
    location: str
    kind: str  # "put" | "delete"
    started: float
    settle_after: float
    final: dict[str, Any] | None = None
    status: str = "InProgress"
    error: dict[str, Any] | None = None
    start_time: str = ""
    end_time: str | None = None
    leaves: list[dict[str, Any]] = field(default_factory=list)


class StateSection(Protocol):
    """A service's own slice of state (e.g. the Kubernetes clusters)."""

    name: str

    def snapshot(self) -> dict[str, Any]: ...

    def restore(self, data: dict[str, Any]) -> None: ...

    def clear(self) -> None: ...


class ResourceStore:
    """Resource Manager documents keyed by lower-cased id.

    Each write also records, in the resource's bookkeeping, when it was created and last changed
    (what `GET .../resources?$expand=createdTime,changedTime` shows), read from `now` if given.

    Every method holds `lock` (the state's lock, re-entrant): readers run on other threads than
    writers (the kubelet's loop reads the cluster a pod's token is minted for while an API request
    writes), and a read that walks the documents must not see them change under it.
    """

    def __init__(self, now: Callable[[], str] | None = None, lock: threading.RLock | None = None) -> None:
        self._now = now
        self.lock = lock if lock is not None else threading.RLock()
        self._docs: dict[str, dict[str, Any]] = {}
        self._meta: dict[str, dict[str, Any]] = {}

    def get(self, resource_id: str) -> dict[str, Any] | None:
        with self.lock:
            doc = self._docs.get(resource_id.lower())
            return copy.deepcopy(doc) if doc is not None else None

    def exists(self, resource_id: str) -> bool:
        with self.lock:
            return resource_id.lower() in self._docs

    def put(self, doc: dict[str, Any]) -> dict[str, Any]:
        key = doc["id"].lower()
        with self.lock:
            if self._now is not None:
                times = self._meta.setdefault(key, {})
                now = self._now()
                times.setdefault("createdTime", now)
                times["changedTime"] = now
            self._docs[key] = copy.deepcopy(doc)
            return copy.deepcopy(doc)

    def meta(self, resource_id: str) -> dict[str, Any]:
        """Private, mutable bookkeeping for one resource (never sent on the wire)."""
        with self.lock:
            return self._meta.setdefault(resource_id.lower(), {})

    def delete(self, resource_id: str) -> list[dict[str, Any]]:
        """Delete a resource and everything under it; returns what was removed."""
        key = resource_id.lower()
        with self.lock:
            removed = [d for k, d in self._docs.items() if k == key or k.startswith(key + "/")]
            for d in removed:
                self._docs.pop(d["id"].lower(), None)
                self._meta.pop(d["id"].lower(), None)
            return removed

    def under(self, prefix: str, type_: str | None = None) -> list[dict[str, Any]]:
        """Documents whose id starts with `prefix/`, optionally of one type (case-insensitive)."""
        p = prefix.lower().rstrip("/") + "/"
        t = type_.lower() if type_ else None
        with self.lock:
            out = [copy.deepcopy(d) for k, d in self._docs.items()
                   if k.startswith(p) and (t is None or d.get("type", "").lower() == t)]
        return sorted(out, key=lambda d: d["id"].lower())

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        t = type_.lower()
        with self.lock:
            out = [copy.deepcopy(d) for d in self._docs.values() if d.get("type", "").lower() == t]
        return sorted(out, key=lambda d: d["id"].lower())

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {"documents": [self._docs[k] for k in sorted(self._docs)],
                    "meta": {k: self._meta[k] for k in sorted(self._meta) if self._meta[k]}}

    def load(self, data: dict[str, Any]) -> None:
        docs = {d["id"].lower(): copy.deepcopy(d) for d in data.get("documents", [])}
        meta = copy.deepcopy(data.get("meta", {}))
        with self.lock:
            self._docs, self._meta = docs, meta


class EmulatorState:
    """All state, guarded by one re-entrant lock (the kubelet's threads share it)."""

    def __init__(self, ids: IdFactory, secrets: SecretFactory, clock: Clock):
        self.lock = threading.RLock()
        self.ids = ids
        self.secrets = secrets
        self.clock = clock
        self.tenants: dict[str, Tenant] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.principals: dict[str, Principal] = {}
        self.resources = ResourceStore(clock.iso, self.lock)
        self.operations: dict[str, Operation] = {}
        self.settings: dict[str, Any] = {}
        self.sections: dict[str, StateSection] = {}
        self.scenario: str | None = None
        # Told (under the lock) of the documents a delete removed, so what serves a deleted managed
        # cluster goes with it; set by the assembly (assembly.py) to the Kubernetes section.
        self.on_removed: Callable[[list[dict[str, Any]]], None] | None = None

    # -- directory ---------------------------------------------------------------------
    def add_tenant(self, name: str, domain: str | None = None) -> Tenant:
        t = Tenant(id=self.ids.guid("tenant", name), name=name, domain=domain or f"{name}.onmicrosoft.com")
        self.tenants[t.id] = t
        return t

    def add_subscription(self, tenant: Tenant, display_name: str) -> Subscription:
        s = Subscription(id=self.ids.guid("subscription", tenant.name, display_name),
                         tenant_id=tenant.id, display_name=display_name)
        self.subscriptions[s.id] = s
        return s

    def add_principal(self, tenant_id: str, display_name: str, *, kind: str = "ServicePrincipal",
                      resource_id: str | None = None, has_secret: bool = False) -> Principal:
        key = resource_id or display_name
        p = Principal(object_id=self.ids.guid("principal", tenant_id, key),
                      app_id=self.ids.guid("application", tenant_id, key),
                      tenant_id=tenant_id, display_name=display_name, kind=kind,
                      resource_id=resource_id, has_secret=has_secret)
        self.principals[p.object_id] = p
        return p

    def principal_by_app_id(self, tenant_id: str, app_id: str) -> Principal | None:
        for p in self.principals.values():
            if p.tenant_id == tenant_id and p.app_id == app_id:
                return p
        return None

    def principal_for_resource(self, resource_id: str) -> Principal | None:
        for p in self.principals.values():
            if p.resource_id and p.resource_id.lower() == resource_id.lower():
                return p
        return None

    def remove_principal(self, object_id: str) -> None:
        self.principals.pop(object_id, None)

    def client_secret(self, principal: Principal) -> str:
        return self.secrets.client_secret(principal.app_id)

    def subscription(self, subscription_id: str) -> Subscription | None:
        return self.subscriptions.get(subscription_id.lower())

    # -- operations --------------------------------------------------------------------
    def settle(self) -> None:
        """Complete every operation whose time has come."""
        now = self.clock.time()
        with self.lock:
            for op in sorted(self.operations.values(), key=lambda o: o.started):
                if op.status == "InProgress" and now >= op.settle_after:
                    self._complete(op)

    def _complete(self, op: Operation) -> None:
        if op.kind == "delete":
            self._cancel_under(op.resource_id, except_id=op.id)
            self._removed(self.resources.delete(op.resource_id))
            for doc in op.leaves:
                self.resources.put(doc)
        elif op.final is not None:
            self.resources.put(op.final)
        op.status = "Succeeded" if op.error is None else "Failed"
        op.end_time = self.clock.iso()

    def _removed(self, removed: list[dict[str, Any]]) -> None:
        if self.on_removed is not None:
            self.on_removed(removed)

    def _cancel_under(self, resource_id: str, except_id: str | None = None) -> None:
        """A deleted resource takes its children's pending operations with it (they end Canceled)."""
        prefix = resource_id.lower().rstrip("/")
        for other in self.operations.values():
            rid = other.resource_id.lower()
            under = rid == prefix or rid.startswith(prefix + "/")
            if other.id != except_id and other.status == "InProgress" and under:
                other.status = "Canceled"
                other.error = {"code": "Canceled",
                               "message": f"The operation was canceled because '{resource_id}' was deleted."}
                other.end_time = self.clock.iso()

    def pending_operation(self, resource_id: str) -> Operation | None:
        for op in self.operations.values():
            if op.status == "InProgress" and op.resource_id.lower() == resource_id.lower():
                return op
        return None

    def delete_resource(self, resource_id: str) -> list[dict[str, Any]]:
        """Synchronous delete with the same notifications as a completed delete operation."""
        self._cancel_under(resource_id)
        removed = self.resources.delete(resource_id)
        self._removed(removed)
        return removed

    # -- snapshot ----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "version": SNAPSHOT_VERSION,
                "scenario": self.scenario,
                "tenants": [asdict(t) for t in sorted(self.tenants.values(), key=lambda t: t.id)],
                "subscriptions": [asdict(s) for s in sorted(self.subscriptions.values(), key=lambda s: s.id)],
                "principals": [asdict(p) for p in sorted(self.principals.values(), key=lambda p: p.object_id)],
                "resources": self.resources.dump(),
                "operations": [asdict(o) for o in sorted(self.operations.values(), key=lambda o: o.id)
                               if o.status == "InProgress"],
                "settings": copy.deepcopy(self.settings),
                "ids": self.ids.dump(),
                "sections": {name: s.snapshot() for name, s in sorted(self.sections.items())},
            }

    def restore(self, data: dict[str, Any]) -> None:
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"snapshot version must be {SNAPSHOT_VERSION}, got {data.get('version')!r}")
        with self.lock:
            self.scenario = data.get("scenario")
            self.tenants = {t["id"]: Tenant(**t) for t in data.get("tenants", [])}
            self.subscriptions = {s["id"]: Subscription(**s) for s in data.get("subscriptions", [])}
            self.principals = {p["object_id"]: Principal(**p) for p in data.get("principals", [])}
            self.resources.load(data.get("resources", {}))
            self.operations = {o["id"]: Operation(**o) for o in data.get("operations", [])}
            self.settings = copy.deepcopy(data.get("settings", {}))
            self.ids.load(data.get("ids", {}))
            sections = data.get("sections", {})
            for name, section in self.sections.items():
                section.restore(sections.get(name, {}))

    def clear(self) -> None:
        with self.lock:
            self.tenants.clear()
            self.subscriptions.clear()
            self.principals.clear()
            self.resources.load({})
            self.operations.clear()
            self.settings.clear()
            self.ids.load({})
            self.scenario = None
            for section in self.sections.values():
                section.clear()
