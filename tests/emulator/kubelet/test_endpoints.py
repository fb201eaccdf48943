"""Which pod workers a Service may route to: only those whose pod is still the one in the store."""
from __future__ import annotations

from types import SimpleNamespace

from keyless_emulator.kubelet.network import _still_serving


class _Pods:
    def __init__(self, pods: dict[str, dict]):
        self.pods = pods

    def get(self, resource: str, namespace: str, name: str):
        assert resource == "pods"
        return self.pods.get(f"{namespace}/{name}")


def _worker(uid: str = "u1", stopping: bool = False):
    return SimpleNamespace(namespace="default", name="ai-service-abc", uid=uid, stopping=stopping)


def _pod(uid: str = "u1", **meta):
    return {"default/ai-service-abc": {"metadata": {"name": "ai-service-abc", "uid": uid, **meta}}}


def test_the_current_pod_serves():
    assert _still_serving(_Pods(_pod()), _worker())


def test_a_deleted_pod_whose_process_is_still_stopping_does_not_serve():
    assert not _still_serving(_Pods({}), _worker())
    assert not _still_serving(_Pods(_pod()), _worker(stopping=True))


def test_a_pod_being_deleted_does_not_serve():
    assert not _still_serving(_Pods(_pod(deletionTimestamp="2026-01-01T00:00:00Z")), _worker())


def test_a_new_pod_of_the_same_name_is_not_served_by_the_old_worker():
    assert not _still_serving(_Pods(_pod(uid="u2")), _worker(uid="u1"))
