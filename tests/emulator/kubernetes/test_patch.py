"""The patch formats as pure functions (strategic merge directives, JSON merge, JSON patch)."""
from __future__ import annotations

import pytest

from keyless_emulator.kubernetes.patch import PatchError, json_patch, merge_patch, strategic_merge


def test_set_element_order_reorders_and_is_not_stored():
    original = {"containers": [{"name": "b", "image": "1"}, {"name": "a", "image": "1"}]}
    patch = {"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}], "containers": [{"name": "a", "image": "2"}]}
    assert strategic_merge(original,
                           patch) == {"containers": [{"name": "a", "image": "2"}, {"name": "b", "image": "1"}]}


def test_patch_replace_on_a_map_and_a_list():
    assert strategic_merge({"labels": {"a": "1", "b": "2"}}, {"labels": {"$patch": "replace", "c": "3"}}) == \
        {"labels": {"c": "3"}}
    merged = strategic_merge({"env": [{"name": "A"}, {"name": "B"}]}, {"env": [{"$patch": "replace"}, {"name": "C"}]})
    assert merged == {"env": [{"name": "C"}]}


def test_patch_delete_of_a_map():
    assert strategic_merge({"a": {"x": 1}, "b": 1}, {"a": {"$patch": "delete"}}) == {"b": 1}


def test_retain_keys_drops_the_keys_not_listed():
    original = {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}
    patch = {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": None}}
    assert strategic_merge(original, patch) == {"strategy": {"type": "Recreate"}}


def test_delete_from_primitive_list():
    assert strategic_merge({"finalizers": ["a", "b", "c"]}, {"$deleteFromPrimitiveList/finalizers": ["b"]}) == \
        {"finalizers": ["a", "c"]}


def test_service_ports_merge_by_port_and_container_ports_by_container_port():
    svc = strategic_merge({"spec": {"ports": [{"port": 80, "targetPort": 8080}]}},
                          {"spec": {"ports": [{"port": 80, "name": "http"}]}}, "service")
    assert svc == {"spec": {"ports": [{"port": 80, "targetPort": 8080, "name": "http"}]}}
    pod = strategic_merge({"containers": [{"name": "a", "ports": [{"containerPort": 5001}]}]},
                          {"containers": [{"name": "a", "ports": [{"containerPort": 5001, "name": "http"}]}]})
    assert pod["containers"][0]["ports"] == [{"containerPort": 5001, "name": "http"}]


def test_volume_mounts_merge_by_mount_path_and_volumes_by_name():
    original = {"volumes": [{"name": "v", "emptyDir": {}}], "containers": [{"name": "a", "volumeMounts": [
        {"name": "v", "mountPath": "/data"}]}]}
    patch = {"volumes": [{"name": "w", "emptyDir": {}}], "containers": [{"name": "a", "volumeMounts": [
        {"name": "w", "mountPath": "/data"}]}]}
    out = strategic_merge(original, patch)
    assert [v["name"] for v in out["volumes"]] == ["v", "w"]
    assert out["containers"][0]["volumeMounts"] == [{"name": "w", "mountPath": "/data"}]


def test_lists_without_a_merge_key_are_replaced():
    assert strategic_merge({"args": ["a", "b"]}, {"args": ["c"]}) == {"args": ["c"]}


def test_merge_patch_rfc7386():
    assert merge_patch({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": None}, "l": [2]}) == {"a": {"c": 2}, "l": [2]}


def test_json_patch_move_copy_and_errors():
    doc = {"a": {"x": 1}, "l": [1, 2]}
    out = json_patch(doc, [{"op": "copy", "from": "/a/x", "path": "/b"}, {"op": "move", "from": "/l/0", "path": "/l/-"},
                           {"op": "replace", "path": "/a/x", "value": 5}])
    assert out == {"a": {"x": 5}, "l": [2, 1], "b": 1}
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "remove", "path": "/missing"}])
    with pytest.raises(PatchError):
        json_patch(doc, {"op": "add"})
