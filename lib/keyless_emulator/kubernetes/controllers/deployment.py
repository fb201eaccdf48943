"""The Deployment controller: one ReplicaSet per pod template (`<deployment>-<pod-template-hash>`),
rolling update bounded by maxSurge/maxUnavailable (old pods go only once new ones are Ready) or
Recreate, revision history, and the status and Available/Progressing conditions that
`kubectl rollout status` reads."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .. import defaults
from ..plain import clone
from ..snapshots import substitute
from .objects import CONTROLLER_MANAGER, controller_uid, owner_ref, terminating
from .replicaset import ReplicaSetController

if TYPE_CHECKING:
    from ..store import ClusterStore


HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(template: dict[str, Any], collision_count: int = 0) -> str:
    """fnv-1a (32 bit) of the template, rendered as kube's SafeEncodeString of its decimal value."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return "".join(_ALPHANUMS[ord(c) % len(_ALPHANUMS)] for c in str(h))


def _without_hash(template: dict[str, Any]) -> dict[str, Any]:
    t = clone(template)
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    (t.get("metadata") or {}).pop("creationTimestamp", None)
    return t


class DeploymentController:
    """Rolls deployments out through their replica sets."""

    def __init__(self, store: ClusterStore, replicasets: ReplicaSetController):
        self.store = store
        self.replicasets = replicasets

    # -- deployments ---------------------------------------------------------------------
    def _replicasets_of(self, d: dict[str, Any]) -> list[dict[str, Any]]:
        uid = d["metadata"]["uid"]
        return self.store.list("replicasets", d["metadata"]["namespace"],
                               lambda rs: controller_uid(rs) == uid and not terminating(rs))[0]

    def _scale(self, d: dict[str, Any], rs: dict[str, Any], replicas: int) -> dict[str, Any]:
        s = self.store
        old = int(rs["spec"].get("replicas", 0))
        if old == replicas:
            return rs
        new = clone(rs)
        new["spec"]["replicas"] = replicas
        ann = new["metadata"].setdefault("annotations", {})
        ann["deployment.kubernetes.io/desired-replicas"] = str(d["spec"].get("replicas", 1))
        surge, _ = defaults.surge_and_unavailable(d)
        ann["deployment.kubernetes.io/max-replicas"] = str(int(d["spec"].get("replicas", 1)) + surge)
        rs = s.replace("replicasets", new, rs["metadata"]["namespace"], rs["metadata"]["name"],
                       manager=CONTROLLER_MANAGER)
        verb = "up" if replicas > old else "down"
        s.record_event(d, "ScalingReplicaSet", f"Scaled {verb} replica set {rs['metadata']['name']} from {old} to "
                       f"{replicas}", source_component="deployment-controller")
        return rs

    def _revision(self, rs: dict[str, Any]) -> int:
        try:
            return int(((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION, "0"))
        except ValueError:
            return 0

    def sync_deployment(self, namespace: str, name: str) -> None:
        s = self.store
        d = s.find("deployments", namespace, name)
        if d is None or terminating(d):
            return
        spec = d["spec"]
        replicas = int(spec.get("replicas", 1))
        template = spec.get("template") or {}
        all_rs = self._replicasets_of(d)
        wanted = _without_hash(template)
        new_rs = next((rs for rs in all_rs if _without_hash(rs["spec"].get("template") or {}) == wanted), None)
        old_rs = [rs for rs in all_rs if new_rs is None or rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
        max_revision = max((self._revision(rs) for rs in all_rs), default=0)
        surge, unavailable = defaults.surge_and_unavailable(d)
        created_now = False
        if spec.get("paused"):
            self._update_status(d, new_rs, all_rs, created_now)
            return
        if new_rs is None:
            new_rs = self._create_replicaset(d, max_revision + 1, old_rs, replicas, surge)
            created_now = True
            all_rs = old_rs + [new_rs]
        elif self._revision(new_rs) < max_revision:
            bumped = clone(new_rs)
            bumped["metadata"].setdefault("annotations", {})[REVISION] = str(max_revision + 1)
            new_rs = s.replace("replicasets", bumped, namespace, new_rs["metadata"]["name"], manager=CONTROLLER_MANAGER)
        if (spec.get("strategy") or {}).get("type") == "Recreate":
            for rs in old_rs:
                self._scale(d, rs, 0)
            if not any(self.replicasets.owned_pods(rs) for rs in old_rs):
                new_rs = self._scale(d, new_rs, replicas)
        else:
            new_rs = self._rolling(d, new_rs, old_rs, replicas, surge, unavailable)
        self._cleanup(d, new_rs)
        self._update_status(d, s.find("replicasets", namespace, new_rs["metadata"]["name"]),
                            self._replicasets_of(d), created_now)

    def _create_replicaset(self, d: dict[str, Any], revision: int, old_rs: list[dict[str, Any]], replicas: int,
                           surge: int) -> dict[str, Any]:
        s = self.store
        template = clone(d["spec"].get("template") or {})
        h = self._free_hash(d, template)
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = h
        selector = clone(d["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = h
        current_total = sum(int(rs["spec"].get("replicas", 0)) for rs in old_rs)
        initial = replicas if not old_rs else max(0, min(replicas, replicas + surge - current_total))
        if (d["spec"].get("strategy") or {}).get("type") == "Recreate" and old_rs:
            initial = 0
        rs = {"metadata": {"name": f"{d['metadata']['name']}-{h}", "labels": dict(template["metadata"]["labels"]),
                           "annotations": {"deployment.kubernetes.io/desired-replicas": str(replicas),
                                           "deployment.kubernetes.io/max-replicas": str(replicas + surge),
                                           REVISION: str(revision)},
                           "ownerReferences": [owner_ref(d)]},
              "spec": {"replicas": 0, "minReadySeconds": d["spec"].get("minReadySeconds", 0),
                       "selector": selector, "template": template}}
        if not rs["spec"]["minReadySeconds"]:
            rs["spec"].pop("minReadySeconds")
        created = s.create("replicasets", rs, d["metadata"]["namespace"], manager=CONTROLLER_MANAGER)
        dd = s.get("deployments", d["metadata"]["namespace"], d["metadata"]["name"])
        if ((dd["metadata"].get("annotations") or {}).get(REVISION)) != str(revision):
            dd["metadata"].setdefault("annotations", {})[REVISION] = str(revision)
            s.replace("deployments", dd, d["metadata"]["namespace"], d["metadata"]["name"], manager=CONTROLLER_MANAGER)
        return self._scale(d, created, initial) if initial else created

    def _free_hash(self, d: dict[str, Any], template: dict[str, Any]) -> str:
        """The pod-template-hash of a new ReplicaSet, bumping the Deployment's status.collisionCount while the
        name is taken, as kube-controller-manager does on a hash collision. Hashed as a snapshot holds the
        template, so the name does not depend on the emulator's port; that form also maps an account key to
        one placeholder, so a template that differs from an old ReplicaSet's only by a regenerated key hashes
        to that ReplicaSet's name: without the bump, the create failed and the Deployment's rollout stopped
        (observedGeneration left behind)."""
        s, ns, name = self.store, d["metadata"]["namespace"], d["metadata"]["name"]
        placeholder_form = substitute(template, s.installation_values())
        status = (s.get("deployments", ns, name).get("status") or {})
        count = int(status.get("collisionCount", 0))
        h = template_hash(placeholder_form, count)
        while s.find("replicasets", ns, f"{name}-{h}") is not None:
            count += 1
            h = template_hash(placeholder_form, count)
        if count != int(status.get("collisionCount", 0)):
            s.update_status("deployments", ns, name, {**status, "collisionCount": count}, manager=CONTROLLER_MANAGER)
        return h

    def _rolling(self, d: dict[str, Any], new_rs: dict[str, Any], old_rs: list[dict[str, Any]], replicas: int,
                 surge: int, unavailable: int) -> dict[str, Any]:
        s = self.store
        # scale up the new replica set within maxSurge
        total = sum(int(rs["spec"].get("replicas", 0)) for rs in old_rs) + int(new_rs["spec"].get("replicas", 0))
        new_count = int(new_rs["spec"].get("replicas", 0))
        if new_count > replicas:
            new_rs = self._scale(d, new_rs, replicas)
        elif new_count < replicas:
            room = replicas + surge - total
            if room > 0:
                new_rs = self._scale(d, new_rs, min(replicas, new_count + room))
        # scale down old replica sets, keeping at least replicas - maxUnavailable available
        new_rs = s.get("replicasets", new_rs["metadata"]["namespace"], new_rs["metadata"]["name"])
        old_rs = [s.get("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"]) for rs in old_rs]
        min_available = replicas - unavailable
        all_count = sum(int(rs["spec"].get("replicas", 0)) for rs in old_rs + [new_rs])
        new_unavailable = int(new_rs["spec"].get("replicas", 0)) - int((new_rs.get("status") or {}).get(
            "availableReplicas", 0))
        budget = all_count - min_available - max(0, new_unavailable)
        # first remove old pods that are not available anyway
        for rs in sorted(old_rs, key=lambda r: r["metadata"]["creationTimestamp"]):
            if budget <= 0:
                break
            unhealthy = int(rs["spec"].get("replicas", 0)) - int((rs.get("status") or {}).get("availableReplicas", 0))
            cut = min(budget, max(0, unhealthy))
            if cut:
                self._scale(d, rs, int(rs["spec"]["replicas"]) - cut)
                budget -= cut
        old_rs = [s.get("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"]) for rs in old_rs]
        available = sum(int((rs.get("status") or {}).get("availableReplicas", 0)) for rs in old_rs + [new_rs])
        budget = available - min_available
        for rs in sorted(old_rs, key=lambda r: r["metadata"]["creationTimestamp"]):
            if budget <= 0:
                break
            cut = min(budget, int(rs["spec"].get("replicas", 0)))
            if cut:
                self._scale(d, rs, int(rs["spec"]["replicas"]) - cut)
                budget -= cut
        return new_rs

    def _cleanup(self, d: dict[str, Any], new_rs: dict[str, Any]) -> None:
        limit = int(d["spec"].get("revisionHistoryLimit", 10))
        old = [rs for rs in self._replicasets_of(d) if rs["metadata"]["uid"] != new_rs["metadata"]["uid"]
               and int(rs["spec"].get("replicas", 0)) == 0 and not (rs.get("status") or {}).get("replicas")]
        old.sort(key=self._revision)
        for rs in old[:max(0, len(old) - limit)]:
            self.store.delete("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"])

    def _condition(self, previous: list[dict[str, Any]], type_: str, status: str, reason: str,
                   message: str) -> dict[str, Any]:
        now = self.store.now()
        old = next((c for c in previous if c.get("type") == type_), None)
        cond = {"type": type_, "status": status, "lastUpdateTime": now, "lastTransitionTime": now,
                "reason": reason, "message": message}
        if old is not None:
            if old.get("status") == status:
                cond["lastTransitionTime"] = old.get("lastTransitionTime", now)
                if old.get("reason") == reason and old.get("message") == message:
                    cond["lastUpdateTime"] = old.get("lastUpdateTime", now)
        return cond

    def _update_status(self, d: dict[str, Any], new_rs: dict[str, Any] | None, all_rs: list[dict[str, Any]],
                       created_now: bool) -> None:
        s = self.store
        d = s.get("deployments", d["metadata"]["namespace"], d["metadata"]["name"])
        replicas = int(d["spec"].get("replicas", 1))
        _, unavailable = defaults.surge_and_unavailable(d)
        st = lambda rs, k: int((rs.get("status") or {}).get(k, 0))  # noqa: E731
        total = sum(st(rs, "replicas") for rs in all_rs)
        updated = st(new_rs, "replicas") if new_rs else 0
        ready = sum(st(rs, "readyReplicas") for rs in all_rs)
        available = sum(st(rs, "availableReplicas") for rs in all_rs)
        previous = (d.get("status") or {}).get("conditions") or []
        conditions = []
        if available >= replicas - unavailable:
            conditions.append(self._condition(previous, "Available", "True", "MinimumReplicasAvailable",
                                              "Deployment has minimum availability."))
        else:
            conditions.append(self._condition(previous, "Available", "False", "MinimumReplicasUnavailable",
                                              "Deployment does not have minimum availability."))
        if new_rs is not None:
            rs_name = new_rs["metadata"]["name"]
            complete = updated == replicas and available == replicas and total == replicas \
                and int(new_rs["spec"].get("replicas", 0)) == replicas
            if complete:
                conditions.append(self._condition(previous, "Progressing", "True", "NewReplicaSetAvailable",
                                                  f'ReplicaSet "{rs_name}" has successfully progressed.'))
            elif created_now:
                conditions.append(self._condition(previous, "Progressing", "True", "NewReplicaSetCreated",
                                                  f'Created new replica set "{rs_name}"'))
            else:
                conditions.append(self._condition(previous, "Progressing", "True", "ReplicaSetUpdated",
                                                  f'ReplicaSet "{rs_name}" is progressing.'))
        status: dict[str, Any] = {"observedGeneration": d["metadata"].get("generation", 1), "replicas": total,
                                  "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": available,
                                  "unavailableReplicas": max(0, replicas - available), "conditions": conditions}
        if (d.get("status") or {}).get("collisionCount"):
            status["collisionCount"] = d["status"]["collisionCount"]
        status = {k: v for k, v in status.items() if v or k == "observedGeneration"}
        if status != d.get("status"):
            s.update_status("deployments", d["metadata"]["namespace"], d["metadata"]["name"], status,
                            manager=CONTROLLER_MANAGER)
