"""One cluster's object store: the registry behind its API server.

    store.create(resource, obj, namespace=None, dry_run=False, manager=None) -> obj
    store.get(resource, namespace, name) -> obj            (404 Status if absent)
    store.find(resource, namespace, name) -> obj | None
    store.list(resource, namespace=None, predicate=None) -> (items, resourceVersion)
                                   (predicate reads the stored object; only what it keeps is copied)
    store.names(resource, namespace=None) -> [name]     (sorted as list sorts; nothing copied)
    store.replace(resource, obj, namespace, name, subresource=None, dry_run=False, manager=None) -> obj
    store.patch(resource, namespace, name, patch_type, body, subresource=None, ...) -> obj
    store.update_status(resource, namespace, name, status, resource_version=None, manager=None) -> obj
    store.delete(resource, namespace, name, propagation="Background", ...) -> obj
    store.record_event(involved_object, reason, message, type="Normal", source_component="kubelet")
    store.changes_since(rv) / store.subscribe() -> Subscription      (used by watch.py)

Objects are plain dicts in their JSON shape; every call returns copies. Errors are Status
errors (`errors.KubeError`). Writes go through defaulting, validation, the update rules
(`update_rules.py`) and, for pod CREATE, the admission chain the cluster was assembled with
(`admission.py`, `section.admission_plugins`). After each commit, in this order:
  - the watch history keeps the change and wakes open watches (`history.py`; thread-safe:
    writers may be any thread),
  - the node (`store.node`: the kubelet's view of this cluster, attached by the assembly) is told,
  - the controllers (`controllers/`) are told; their work goes on the store's work queue
    (`workqueue.py`), drained when the outermost write returns, in the writer's thread and under
    the state lock, so a scenario loaded under the frozen clock yields the same objects, uids
    and resourceVersions each time.
Each create, update and patch with a `manager` (the API layer always names one; controllers and the
kubelet write under theirs) records it in metadata.managedFields (`managed.py`); a write without
one carries the entries over.
resourceVersion is one counter per cluster; uids come from `state.ids` (deterministic mode).
Events are built by `events.py`; snapshot placeholders by `snapshots.py`.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from . import admission, defaults, errors, events, kinds, managed, update_rules, validation
from . import patch as patching
from .admission import AdmissionRequest, ClusterContext
from .history import HISTORY, Change, Subscription, WatchHistory
from .plain import clone
from .snapshots import installation_values, substitute
from .workqueue import WorkQueue

if TYPE_CHECKING:
    from .section import KubernetesSection

log = logging.getLogger("keyless_emulator.kubernetes")

SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
RETURNS_DELETED_OBJECT = {"pods", "services", "namespaces", "nodes"}
GENERATION_KINDS = {"deployments", "replicasets"}
PROTECTED_NAMESPACES = {"default", "kube-system", "kube-public"}

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH)


def _wall_rfc3339() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Node(Protocol):
    """What the store tells of every committed change: the node agent's view of this cluster."""

    def observe(self, type_: str, resource: str, obj: dict[str, Any]) -> None: ...


def _stamp_wall(pod: dict[str, Any] | None, wall: str) -> None:
    """A pod's wall-clock times (creation, managedFields entries) set to `wall`."""
    if pod is None:
        return
    meta = _meta(pod)
    if "creationTimestamp" in meta:
        meta["creationTimestamp"] = wall
    for entry in meta.get("managedFields") or []:
        if "time" in entry:
            entry["time"] = wall


def key_of(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return meta.get("namespace") or "", meta.get("name") or ""


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.setdefault("metadata", {})


class ClusterStore:
    def __init__(self, section: KubernetesSection, cluster_key: str):
        self.section = section
        self.backend = section.backend
        self.cluster_key = cluster_key
        self.cluster = ClusterContext(self.backend, cluster_key)
        self.lock: threading.RLock = self.backend.state.lock
        self.resource_version = 0
        self.closed = False
        self._objects: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self.history = WatchHistory(self.lock, getattr(section, "watch_history", HISTORY))
        self.work = WorkQueue(self.lock)
        self.controllers: Any = None  # controllers.ControllerManager, set by the assembly
        self.node: Node | None = None  # the kubelet's view of this cluster, set by the assembly

    # -- plumbing -------------------------------------------------------------------------
    @property
    def clock(self):
        return self.backend.clock

    def now(self) -> str:
        return self.backend.clock.rfc3339()

    def _operation(self) -> Any:
        """One write; controller work it causes runs when the outermost write returns."""
        return self.work.operation()

    def enqueue(self, fn: Callable[..., None], *args: Any) -> None:
        """Queue controller work; it runs when the outermost write returns."""
        self.work.enqueue(fn, *args)

    def random_suffix(self, purpose: str, *names: str, length: int = 5) -> str:
        digest = hashlib.sha256(self.backend.state.ids.guid(purpose, self.cluster_key, *names).encode()).digest()
        return "".join(SUFFIX_ALPHABET[b % len(SUFFIX_ALPHABET)] for b in digest[:length])

    def _bucket(self, resource: str) -> dict[tuple[str, str], dict[str, Any]]:
        return self._objects.setdefault(resource, {})

    def _commit(self, type_: str, resource: str, obj: dict[str, Any], prev: dict[str, Any] | None) -> dict[str, Any]:
        self.resource_version += 1
        _meta(obj)["resourceVersion"] = str(self.resource_version)
        change = Change(self.resource_version, type_, resource, clone(obj), clone(prev))
        self._keep(change, obj)
        if self.controllers is not None:
            self.controllers.observe(type_, resource, change.obj, change.prev)
        return clone(obj)

    def _keep(self, change: Change, obj: dict[str, Any]) -> None:
        """`obj` stored (or, DELETED, removed) as `change` says; `change` in the watch history; the node told."""
        bucket = self._bucket(change.resource)
        if change.type == "DELETED":
            bucket.pop(key_of(obj), None)
        else:
            bucket[key_of(obj)] = obj
        self.history.record(change)
        if self.node is not None:
            try:
                self.node.observe(change.type, change.resource, clone(obj))
            except Exception:
                log.exception("the node failed on %s %s", change.type, change.resource)

    def _managed_fields(self, kind: kinds.Kind, live: dict[str, Any] | None, new: dict[str, Any], manager: str,
                        *, subresource: str | None = None, applied: dict[str, Any] | None = None,
                        reset: bool = False) -> None:
        """Set new's managedFields for `manager`'s write (Apply when `applied` is given)."""
        # pods' times are the running cluster's, as their creationTimestamp (see create)
        write = managed.Write(manager, kind.api_version, _wall_rfc3339() if kind.resource == "pods" else self.now(),
                              managed.APPLY if applied is not None else managed.UPDATE, subresource or "")
        entries = managed.record(live, new, write, has_status=kind.has_status, applied=applied, reset=reset,
                                 context="service" if kind.resource == "services" else "")
        meta = _meta(new)
        if entries:
            meta["managedFields"] = entries
        else:
            meta.pop("managedFields", None)

    def _kind(self, resource: str) -> kinds.Kind:
        try:
            return kinds.by_resource(resource)
        except KeyError:
            raise errors.not_found(resource, "", "") from None

    def _ns(self, kind: kinds.Kind, namespace: str | None) -> str:
        return (namespace or "") if kind.namespaced else ""

    # -- reads ----------------------------------------------------------------------------
    def find(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        kind = self._kind(resource)
        with self.lock:
            obj = self._bucket(resource).get((self._ns(kind, namespace), name))
            return clone(obj) if obj is not None else None

    def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any]:
        obj = self.find(resource, namespace, name)
        if obj is None:
            kind = self._kind(resource)
            raise errors.not_found(resource, name, kind.group)
        return obj

    def list(self, resource: str, namespace: str | None = None,
             predicate: Callable[[dict[str, Any]], bool] | None = None) -> tuple[list[dict[str, Any]], str]:
        self._kind(resource)
        with self.lock:
            items = [clone(o) for (ns, _), o in sorted(self._bucket(resource).items())
                     if (not namespace or ns == namespace) and (predicate is None or predicate(o))]
            return items, str(self.resource_version)

    def names(self, resource: str, namespace: str | None = None) -> list[str]:
        """The names of `resource`'s objects (in `namespace`), sorted as `list` sorts them; no object is
        copied (controllers that only fan work out by name ask this, many times per write)."""
        self._kind(resource)
        with self.lock:
            return [name for (ns, name) in sorted(self._bucket(resource)) if not namespace or ns == namespace]

    def all_objects(self) -> Iterator[tuple[str, dict[str, Any]]]:
        with self.lock:
            for resource in sorted(self._objects):
                for _, obj in sorted(self._objects[resource].items()):
                    yield resource, clone(obj)

    # -- create ---------------------------------------------------------------------------
    def _reset_status(self, resource: str, obj: dict[str, Any]) -> None:
        if resource == "pods":
            obj["status"] = {"phase": "Pending", "qosClass": defaults.qos_class(obj.get("spec") or {})}
        elif resource in ("deployments", "replicasets"):
            obj.pop("status", None)
        elif resource == "services":
            obj["status"] = {"loadBalancer": {}}
        elif resource == "namespaces":
            obj["status"] = {"phase": "Active"}

    def _check_namespace(self, kind: kinds.Kind, namespace: str, name: str) -> None:
        if not kind.namespaced:
            return
        if not namespace:
            raise errors.bad_request("the server could not find the requested resource")
        ns = self._bucket("namespaces").get(("", namespace))
        if ns is None:
            raise errors.not_found("namespaces", namespace)
        if (ns.get("status") or {}).get("phase") == "Terminating":
            raise errors.forbidden(kind.resource, name, kind.group, f"unable to create new content in namespace "
                                   f"{namespace} because it is being terminated")

    def create(self, resource: str, obj: dict[str, Any], namespace: str | None = None, *,
               dry_run: bool = False, manager: str | None = None,
               applied: dict[str, Any] | None = None) -> dict[str, Any]:
        """Create `obj`; `manager` names the writer in managedFields, `applied` is a server-side
        apply's configuration (the write is then an Apply)."""
        kind = self._kind(resource)
        with self._operation():
            obj = clone(obj) if isinstance(obj, dict) else {}
            obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
            meta = _meta(obj)
            if kind.namespaced:
                namespace = namespace or meta.get("namespace") or ""
                if meta.get("namespace") and meta["namespace"] != namespace:
                    raise errors.bad_request("the namespace of the provided object does not match the namespace "
                                             "sent on the request")
                meta["namespace"] = namespace
            else:
                meta.pop("namespace", None)
                namespace = ""
            name = meta.get("name") or meta.get("generateName") or ""
            self._check_namespace(kind, namespace, name)
            for field in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "generation",
                          "selfLink", "deletionGracePeriodSeconds", "managedFields"):
                meta.pop(field, None)
            if kind.has_status and resource != "nodes":
                self._reset_status(resource, obj)
            existing = self._bucket("services").values() if resource == "services" else ()
            defaults.apply(resource, obj, existing)
            if resource == "pods":
                obj = admission.run(AdmissionRequest("CREATE", resource, namespace, obj, self, self.cluster, dry_run),
                                    self.section.admission_plugins)
                defaults.apply(resource, obj)  # what webhooks added is defaulted too, as kube-apiserver does
                obj["status"] = {"phase": "Pending", "qosClass": defaults.qos_class(obj.get("spec") or {})}
                meta = _meta(obj)
            if not meta.get("name") and meta.get("generateName"):  # after admission, as kube-apiserver
                meta["name"] = meta["generateName"] + self.random_suffix("generate-name", resource, namespace,
                                                                         meta["generateName"])
            name = meta.get("name") or ""
            validation.validate(kind, obj)
            if (namespace, name) in self._bucket(resource):
                raise errors.already_exists(resource, name, kind.group)
            meta["uid"] = self.backend.state.ids.guid("kubernetes-object", self.cluster_key, resource, namespace, name)
            # Pods are what the running cluster makes: their age counts from now (the prerequisite
            # article's apply happened just before), never from the frozen seed instant (a pod months old).
            meta["creationTimestamp"] = _wall_rfc3339() if resource == "pods" else self.now()
            if resource in GENERATION_KINDS:
                meta["generation"] = 1
            if manager:
                self._managed_fields(kind, None, obj, manager, applied=applied)
            if dry_run:
                return clone(obj)
            return self._commit("ADDED", resource, obj, None)

    # -- update ---------------------------------------------------------------------------
    def replace(self, resource: str, obj: dict[str, Any], namespace: str | None, name: str, *,
                subresource: str | None = None, dry_run: bool = False, manager: str | None = None,
                applied: dict[str, Any] | None = None) -> dict[str, Any]:
        """Update an object, or its status (`subresource="status"`); "scale" writes the object and
        is recorded as a scale write in managedFields."""
        kind = self._kind(resource)
        with self._operation():
            current = self.get(resource, namespace, name)
            new = clone(obj) if isinstance(obj, dict) else {}
            meta = _meta(new)
            if meta.get("name") and meta["name"] != name:
                raise errors.bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL "
                                         f"({name})")
            if kind.namespaced and meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent on "
                                         "the request")
            cur_meta = current["metadata"]
            if meta.get("resourceVersion") and meta["resourceVersion"] != cur_meta["resourceVersion"]:
                raise errors.conflict(resource, name, kind.group)
            if subresource == "status":
                status = new.get("status")
                new = clone(current)
                if status is None:
                    new.pop("status", None)
                else:
                    new["status"] = status
            else:
                new["apiVersion"], new["kind"] = kind.api_version, kind.kind
                for field in ("name", "namespace", "uid", "creationTimestamp", "generation", "deletionTimestamp",
                              "deletionGracePeriodSeconds"):
                    if field in cur_meta:
                        meta[field] = cur_meta[field]
                    else:
                        meta.pop(field, None)
                if kind.has_status and resource != "nodes":
                    if "status" in current:
                        new["status"] = current["status"]
                    else:
                        new.pop("status", None)
                update_rules.carry_immutable(resource, current, new)
                defaults.apply(resource, new, [s for s in self._bucket("services").values()
                                               if key_of(s) != key_of(current)] if resource == "services" else ())
                validation.validate(kind, new)
                update_rules.check_immutable(kind, current, new)
                if resource in GENERATION_KINDS and new.get("spec") != current.get("spec"):
                    meta["generation"] = int(cur_meta.get("generation", 1)) + 1
            meta = _meta(new)
            meta["resourceVersion"] = cur_meta["resourceVersion"]
            # clients only clear managedFields ([{}]); otherwise the stored entries carry over
            reset = subresource != "status" and managed.is_reset(meta.get("managedFields"))
            meta.pop("managedFields", None)
            if "managedFields" in cur_meta:
                meta["managedFields"] = clone(cur_meta["managedFields"])
            if new == current and not reset:
                return clone(new)
            if manager:
                self._managed_fields(kind, current, new, manager, subresource=subresource, applied=applied,
                                     reset=reset)
            elif reset:
                meta.pop("managedFields", None)
            if dry_run:
                return clone(new)
            if meta.get("deletionTimestamp") and not meta.get("finalizers") and resource != "namespaces":
                return self._remove(resource, new)
            return self._commit("MODIFIED", resource, new, current)

    def bind(self, namespace: str, name: str, node: str) -> dict[str, Any]:
        """pods/binding: assign a pending pod to a node (not a pod update, so not limited like one)."""
        with self._operation():
            current = self.get("pods", namespace, name)
            assigned = (current.get("spec") or {}).get("nodeName")
            if assigned:
                raise errors.conflict("pods", name, "", f'pod {name} is already assigned to node "{assigned}"')
            new = clone(current)
            new["spec"]["nodeName"] = node
            return self._commit("MODIFIED", "pods", new, current)

    def update_status(self, resource: str, namespace: str | None, name: str, status: dict[str, Any], *,
                      resource_version: str | None = None, manager: str | None = None) -> dict[str, Any]:
        """Replace the status of an object (the kubelet's and controllers' write path)."""
        body: dict[str, Any] = {"metadata": {"name": name}, "status": status}
        if resource_version:
            body["metadata"]["resourceVersion"] = resource_version
        return self.replace(resource, body, namespace, name, subresource="status", manager=manager)

    def patch(self, resource: str, namespace: str | None, name: str, patch_type: str, body: Any, *,
              subresource: str | None = None, dry_run: bool = False, field_manager: str | None = None,
              manager: str | None = None,
              prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> tuple[dict[str, Any], bool]:
        """Apply a patch; returns (object, created) — server-side apply creates a missing object.

        `field_manager` is the request's (required for apply), `manager` the writer named in
        managedFields when the request names none. `prepare(patched)` may check or prune the
        patched object before it is written (field validation of the API layer)."""
        manager = field_manager or manager
        prepare = prepare or (lambda o: o)
        kind = self._kind(resource)
        if patch_type not in PATCH_TYPES:
            raise errors.unsupported_media_type(patch_type)
        with self._operation():
            current = self.find(resource, namespace, name)
            if patch_type == APPLY_PATCH:
                if not field_manager:
                    raise errors.invalid("PatchOptions", "", [errors.required(
                        "fieldManager", "is required for apply patch")], "meta.k8s.io")
                if not isinstance(body, dict):
                    raise errors.bad_request("error decoding YAML: the apply patch must be an object")
                if current is None:
                    if subresource:
                        raise errors.not_found(resource, name, kind.group)
                    obj = prepare(clone(body))
                    _meta(obj).setdefault("name", name)
                    return self.create(resource, obj, namespace, dry_run=dry_run, manager=manager,
                                       applied=clone(obj)), True
            if current is None:
                raise errors.not_found(resource, name, kind.group)
            try:
                if patch_type == JSON_PATCH:
                    patched = patching.json_patch(current, body)
                elif patch_type == MERGE_PATCH:
                    patched = patching.merge_patch(current, body)
                else:
                    if not isinstance(body, dict):
                        raise patching.PatchError("the strategic merge patch must be a JSON object")
                    patched = patching.strategic_merge(current, body, "service" if resource == "services" else "")
            except patching.PatchError as e:
                raise errors.KubeError(422, "Invalid", f"the server rejected our request due to an error in our "
                                       f"request: {e}") from None
            if not isinstance(patched, dict):
                raise errors.bad_request("the patched object is not a JSON object")
            patched = prepare(patched)
            pmeta = _meta(patched)
            if pmeta.get("name", name) != name:
                raise errors.bad_request(f"the name of the object ({pmeta.get('name')}) does not match the name on "
                                         f"the URL ({name})")
            applied = None
            if patch_type == APPLY_PATCH:
                applied = clone(body)
                managed.sync_last_applied(current, patched, applied, manager or "")
                if "resourceVersion" not in (body.get("metadata") or {}):
                    pmeta["resourceVersion"] = current["metadata"]["resourceVersion"]
            return self.replace(resource, patched, namespace, name, subresource=subresource, dry_run=dry_run,
                                manager=manager, applied=applied), False

    # -- delete ---------------------------------------------------------------------------
    def _remove(self, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self._commit("DELETED", resource, obj, clone(obj))

    def delete(self, resource: str, namespace: str | None, name: str, *, propagation: str | None = None,
               dry_run: bool = False, uid: str | None = None, resource_version: str | None = None) -> dict[str, Any]:
        kind = self._kind(resource)
        if propagation not in (None, "Background", "Foreground", "Orphan"):
            raise errors.bad_request(f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
                                     f'"{propagation}": supported values: "Background", "Foreground", "Orphan"')
        with self._operation():
            current = self.get(resource, namespace, name)
            meta = current["metadata"]
            if uid and uid != meta.get("uid"):
                raise errors.conflict(resource, name, kind.group, f"Precondition failed: UID in precondition: {uid}, "
                                      f"UID in object meta: {meta.get('uid')}")
            if resource_version and resource_version != meta.get("resourceVersion"):
                raise errors.conflict(resource, name, kind.group, "Precondition failed: ResourceVersion in "
                                      f"precondition: {resource_version}, ResourceVersion in object meta: "
                                      f"{meta.get('resourceVersion')}")
            if dry_run:
                return current
            if resource == "namespaces":
                if name in PROTECTED_NAMESPACES:
                    raise errors.forbidden("namespaces", name, "", "this namespace may not be deleted")
                if meta.get("deletionTimestamp"):
                    return current
                new = clone(current)
                new["metadata"]["deletionTimestamp"] = self.now()
                new["metadata"]["deletionGracePeriodSeconds"] = 0
                new.setdefault("status", {})["phase"] = "Terminating"
                return self._commit("MODIFIED", resource, new, current)
            if propagation == "Orphan":
                if self.controllers is not None:
                    self.controllers.orphan(current)
            if (propagation == "Foreground" and self.controllers is not None
                    and self.controllers.has_dependents(current)):
                new = clone(current)
                new["metadata"]["deletionTimestamp"] = self.now()
                new["metadata"]["deletionGracePeriodSeconds"] = 0
                finalizers = new["metadata"].setdefault("finalizers", [])
                if "foregroundDeletion" not in finalizers:
                    finalizers.append("foregroundDeletion")
                return self._commit("MODIFIED", resource, new, current)
            if meta.get("finalizers"):
                if meta.get("deletionTimestamp"):
                    return current
                new = clone(current)
                new["metadata"]["deletionTimestamp"] = self.now()
                new["metadata"]["deletionGracePeriodSeconds"] = 0
                return self._commit("MODIFIED", resource, new, current)
            return self._remove(resource, current)

    def finalize(self, resource: str, obj: dict[str, Any]) -> None:
        """Remove an object whose finalizers are done (namespace and foreground deletion)."""
        with self._operation():
            current = self.find(resource, key_of(obj)[0], key_of(obj)[1])
            if current is not None:
                self._remove(resource, current)

    # -- events ---------------------------------------------------------------------------
    def record_event(self, involved_object: dict[str, Any], reason: str, message: str, type: str = "Normal",
                     source_component: str = "kubelet", host: str | None = None,
                     field_path: str | None = None) -> dict[str, Any]:
        """Create an Event about `involved_object`, or bump the count of the same recent one."""
        meta = involved_object.get("metadata") or {}
        namespace = meta.get("namespace") or "default"
        ref = events.reference(involved_object, field_path)
        source = events.source(source_component, host)
        with self._operation():
            if self.find("namespaces", None, namespace) is None:
                return {}
            for existing in self._bucket("events").values():
                if events.is_repeat(existing, namespace, ref, reason, message, type, source):
                    return self._commit("MODIFIED", "events", events.repeated(existing, self.now()), existing)
            ids = self.backend.state.ids
            suffix = ids.hex("kubernetes-event", self.cluster_key, namespace, meta.get("name") or "", length=16)
            name = f"{meta.get('name')}.{suffix}"
            event = events.new_event(name=name, namespace=namespace,
                                     uid=ids.guid("kubernetes-object", self.cluster_key, "events", namespace, name),
                                     ref=ref, reason=reason, message=message, type_=type, event_source=source,
                                     host=host, now=self.now())
            created = self._commit("ADDED", "events", event, None)
            for old in events.beyond_limit(list(self._bucket("events").values())):
                self._remove("events", clone(old))
            return created

    # -- watch support --------------------------------------------------------------------
    def oldest_watchable(self) -> int:
        return self.history.oldest_watchable(self.resource_version)

    def changes_since(self, rv: int) -> list[Change]:
        return self.history.since(rv)

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> Subscription:
        return self.history.subscribe(loop)

    def unsubscribe(self, sub: Subscription) -> None:
        self.history.unsubscribe(sub)

    def close(self) -> None:
        """End every open watch (the cluster is gone, or the state was replaced)."""
        with self.lock:
            self.closed = True
            self.history.ring_all()

    def replay(self, changes: list[Change]) -> None:
        """Commit `changes` (a fresh store's whole history, recorded by another seeding of the same cluster)
        as they were committed: the same objects and resourceVersions, kept in the watch history and told
        to the node in order; not to the controllers, whose work the changes already hold. Pods' times are
        the running cluster's wall clock (see `create`), so they are stamped now, as a write now would."""
        wall = _wall_rfc3339()
        with self.lock:
            for change in changes:
                obj, prev = clone(change.obj), clone(change.prev)
                if change.resource == "pods":
                    for pod in (obj, prev):
                        _stamp_wall(pod, wall)
                self.resource_version = change.rv
                self._keep(Change(change.rv, change.type, change.resource, clone(obj), prev), obj)

    # -- snapshot -------------------------------------------------------------------------
    def installation_values(self) -> list[tuple[str, str]]:
        """(value, placeholder) pairs of what differs between installations (snapshots.py)."""
        return installation_values(self.backend, getattr(self.section, "snapshot_placeholders", []))

    def dump(self) -> dict[str, Any]:
        with self.lock:
            pairs = self.installation_values()
            return {"resourceVersion": self.resource_version,
                    "objects": [{"resource": r, "object": substitute(o, pairs)} for r, o in self.all_objects()]}

    def load(self, data: dict[str, Any]) -> None:
        with self.lock:
            self._objects = {}
            pairs = [(placeholder, value) for value, placeholder in self.installation_values()]
            for entry in data.get("objects", []):
                obj = substitute(clone(entry["object"]), pairs)
                self._bucket(entry["resource"])[key_of(obj)] = obj
            self.resource_version = int(data.get("resourceVersion", 0))
            self.history.clear()
