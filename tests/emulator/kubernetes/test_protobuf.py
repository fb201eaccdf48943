"""Decoding Kubernetes protobuf request bodies (what kubectl's typed clients send)."""
from __future__ import annotations

import pytest

from keyless_emulator.kubernetes import protobuf


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _varint(value: int) -> bytes:
    out = b""
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def _len(number: int, payload: bytes) -> bytes:
    return _key(number, 2) + _varint(len(payload)) + payload


def _envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = _len(1, api_version.encode()) + _len(2, kind.encode())
    return protobuf.MAGIC + _len(1, type_meta) + _len(2, raw) + _len(3, b"") + _len(4, b"")


def _meta(name: str) -> bytes:
    return _len(1, _len(1, name.encode()) + _len(2, b"") + _key(7, 0) + _varint(0) + _len(8, b""))


def test_a_namespace_decodes_without_empty_fields():
    body = _envelope("v1", "Namespace", _meta("team") + _len(2, b"") + _len(3, _len(1, b"")))
    assert protobuf.decode(body) == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}


def test_maps_repeated_fields_and_int_or_string():
    port = (_len(1, b"http") + _len(2, b"TCP") + _key(3, 0) + _varint(80)
            + _len(4, _key(1, 0) + _varint(1) + _len(3, b"web")))
    spec = _len(1, port) + _len(2, _len(1, b"app") + _len(2, b"x")) + _len(4, b"ClusterIP")
    body = _envelope("v1", "Service", _meta("svc") + _len(2, spec))
    assert protobuf.decode(body)["spec"] == {"ports": [{"name": "http", "protocol": "TCP", "port": 80,
                                                        "targetPort": "web"}],
                                             "selector": {"app": "x"}, "type": "ClusterIP"}


def test_a_field_outside_the_table_with_a_value_is_refused():
    body = _envelope("v1", "ConfigMap", _meta("c") + _len(9, b"surprise"))
    with pytest.raises(protobuf.ProtobufError, match="field 9 of ConfigMap is not supported"):
        protobuf.decode(body)


def test_an_unknown_kind_or_missing_magic_is_refused():
    with pytest.raises(protobuf.ProtobufError, match="kind Pod"):
        protobuf.decode(_envelope("v1", "Pod", _meta("p")))
    with pytest.raises(protobuf.ProtobufError, match="magic"):
        protobuf.decode(b"{}")
