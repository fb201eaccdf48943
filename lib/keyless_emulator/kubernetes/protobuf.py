"""Request bodies in Kubernetes protobuf (`application/vnd.kubernetes.protobuf`), which kubectl's
typed clients send (`kubectl create namespace|serviceaccount|secret|configmap|service|deployment|
token`), decoded into the JSON shape the rest of the server works with.

Wire format: the magic `k8s\\0`, then a `runtime.Unknown` {1: TypeMeta{1: apiVersion, 2: kind},
2: raw object bytes, 3: contentEncoding, 4: contentType}. The object is decoded with the field
numbers of `k8s.io/api` generated.proto for the messages below. Proto2 sends empty values for
non-pointer fields; they are dropped, as omitempty JSON would. A field this table does not know,
carrying a non-empty value, is refused (415) rather than silently lost. Responses stay JSON
(clients offer `application/json` as the second choice).
"""
from __future__ import annotations

import base64
import datetime as _dt
from typing import Any

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

# message -> {field number: (json name, type, repeated)}; types: string, bytes, int, bool,
# map:string, map:bytes, map:quantity, time, intstr, or a message name.
S, B, I, BOOL = "string", "bytes", "int", "bool"  # noqa: E741 - short names keep the message table readable
MESSAGES: dict[str, dict[int, tuple[str, str, bool]]] = {
    "Ignored": {},  # status on create: the server sets it
    "ObjectMeta": {1: ("name", S, False), 2: ("generateName", S, False), 3: ("namespace", S, False),
                   4: ("selfLink", S, False), 5: ("uid", S, False), 6: ("resourceVersion", S, False),
                   7: ("generation", I, False), 8: ("creationTimestamp", "time", False),
                   9: ("deletionTimestamp", "time", False), 10: ("deletionGracePeriodSeconds", I, False),
                   11: ("labels", "map:string", False), 12: ("annotations", "map:string", False),
                   13: ("ownerReferences", "OwnerReference", True), 14: ("finalizers", S, True)},
    "OwnerReference": {1: ("kind", S, False), 3: ("name", S, False), 4: ("uid", S, False),
                       5: ("apiVersion", S, False), 6: ("controller", BOOL, False),
                       7: ("blockOwnerDeletion", BOOL, False)},
    "LabelSelector": {1: ("matchLabels", "map:string", False),
                      2: ("matchExpressions", "LabelSelectorRequirement", True)},
    "LabelSelectorRequirement": {1: ("key", S, False), 2: ("operator", S, False), 3: ("values", S, True)},
    "LocalObjectReference": {1: ("name", S, False)},
    "ObjectReference": {1: ("kind", S, False), 2: ("namespace", S, False), 3: ("name", S, False),
                        4: ("uid", S, False), 5: ("apiVersion", S, False), 6: ("resourceVersion", S, False),
                        7: ("fieldPath", S, False)},
    "Namespace": {1: ("metadata", "ObjectMeta", False), 2: ("spec", "NamespaceSpec", False),
                  3: ("status", "NamespaceStatus", False)},
    "NamespaceSpec": {1: ("finalizers", S, True)},
    "NamespaceStatus": {1: ("phase", S, False)},
    "ServiceAccount": {1: ("metadata", "ObjectMeta", False), 2: ("secrets", "ObjectReference", True),
                       3: ("imagePullSecrets", "LocalObjectReference", True),
                       4: ("automountServiceAccountToken", BOOL, False)},
    "Secret": {1: ("metadata", "ObjectMeta", False), 2: ("data", "map:bytes", False), 3: ("type", S, False),
               4: ("stringData", "map:string", False), 5: ("immutable", BOOL, False)},
    "ConfigMap": {1: ("metadata", "ObjectMeta", False), 2: ("data", "map:string", False),
                  3: ("binaryData", "map:bytes", False), 4: ("immutable", BOOL, False)},
    "Service": {1: ("metadata", "ObjectMeta", False), 2: ("spec", "ServiceSpec", False),
                3: ("status", "Ignored", False)},
    "ServiceSpec": {1: ("ports", "ServicePort", True), 2: ("selector", "map:string", False),
                    3: ("clusterIP", S, False), 4: ("type", S, False), 5: ("externalIPs", S, True),
                    7: ("sessionAffinity", S, False), 8: ("loadBalancerIP", S, False),
                    9: ("loadBalancerSourceRanges", S, True), 10: ("externalName", S, False),
                    11: ("externalTrafficPolicy", S, False), 12: ("healthCheckNodePort", I, False),
                    13: ("publishNotReadyAddresses", BOOL, False), 17: ("ipFamilyPolicy", S, False),
                    18: ("clusterIPs", S, True), 19: ("ipFamilies", S, True),
                    20: ("allocateLoadBalancerNodePorts", BOOL, False)},
    "ServicePort": {1: ("name", S, False), 2: ("protocol", S, False), 3: ("port", I, False),
                    4: ("targetPort", "intstr", False), 5: ("nodePort", I, False), 6: ("appProtocol", S, False)},
    "Deployment": {1: ("metadata", "ObjectMeta", False), 2: ("spec", "DeploymentSpec", False),
                   3: ("status", "Ignored", False)},
    "DeploymentSpec": {1: ("replicas", I, False), 2: ("selector", "LabelSelector", False),
                       3: ("template", "PodTemplateSpec", False), 4: ("strategy", "DeploymentStrategy", False),
                       5: ("minReadySeconds", I, False), 6: ("revisionHistoryLimit", I, False),
                       7: ("paused", BOOL, False), 9: ("progressDeadlineSeconds", I, False)},
    "DeploymentStrategy": {1: ("type", S, False), 2: ("rollingUpdate", "RollingUpdateDeployment", False)},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "intstr", False), 2: ("maxSurge", "intstr", False)},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta", False), 2: ("spec", "PodSpec", False)},
    "PodSpec": {2: ("containers", "Container", True), 3: ("restartPolicy", S, False),
                4: ("terminationGracePeriodSeconds", I, False), 6: ("dnsPolicy", S, False),
                7: ("nodeSelector", "map:string", False), 8: ("serviceAccountName", S, False),
                9: ("serviceAccount", S, False), 19: ("schedulerName", S, False)},
    "Container": {1: ("name", S, False), 2: ("image", S, False), 3: ("command", S, True), 4: ("args", S, True),
                  5: ("workingDir", S, False), 6: ("ports", "ContainerPort", True), 7: ("env", "EnvVar", True),
                  8: ("resources", "ResourceRequirements", False), 9: ("volumeMounts", "VolumeMount", True),
                  13: ("terminationMessagePath", S, False), 14: ("imagePullPolicy", S, False),
                  20: ("terminationMessagePolicy", S, False)},
    "ContainerPort": {1: ("name", S, False), 2: ("hostPort", I, False), 3: ("containerPort", I, False),
                      4: ("protocol", S, False), 5: ("hostIP", S, False)},
    "EnvVar": {1: ("name", S, False), 2: ("value", S, False)},
    "ResourceRequirements": {1: ("limits", "map:quantity", False), 2: ("requests", "map:quantity", False)},
    "VolumeMount": {1: ("name", S, False), 2: ("readOnly", BOOL, False), 3: ("mountPath", S, False),
                    4: ("subPath", S, False), 5: ("mountPropagation", S, False), 6: ("subPathExpr", S, False)},
    "TokenRequest": {1: ("metadata", "ObjectMeta", False), 2: ("spec", "TokenRequestSpec", False),
                     3: ("status", "Ignored", False)},
    "TokenRequestSpec": {1: ("audiences", S, True), 3: ("boundObjectRef", "BoundObjectReference", False),
                         4: ("expirationSeconds", I, False)},
    "SelfSubjectAccessReview": {1: ("metadata", "ObjectMeta", False), 2: ("spec", "SelfSubjectAccessReviewSpec", False),
                                3: ("status", "Ignored", False)},
    "SelfSubjectAccessReviewSpec": {1: ("resourceAttributes", "ResourceAttributes", False),
                                    2: ("nonResourceAttributes", "NonResourceAttributes", False)},
    "ResourceAttributes": {1: ("namespace", S, False), 2: ("verb", S, False), 3: ("group", S, False),
                           4: ("version", S, False), 5: ("resource", S, False), 6: ("subresource", S, False),
                           7: ("name", S, False)},
    "NonResourceAttributes": {1: ("path", S, False), 2: ("verb", S, False)},
    "SelfSubjectReview": {1: ("metadata", "ObjectMeta", False), 2: ("status", "Ignored", False)},
    "BoundObjectReference": {1: ("kind", S, False), 2: ("apiVersion", S, False), 3: ("name", S, False),
                             4: ("uid", S, False)},
}
# Zero values that still mean something (pointer fields in the Go types).
KEEP_ZERO = {"replicas", "automountServiceAccountToken", "immutable", "allocateLoadBalancerNodePorts",
             "revisionHistoryLimit", "progressDeadlineSeconds", "terminationGracePeriodSeconds", "expirationSeconds"}


class ProtobufError(ValueError):
    """A body this decoder cannot turn into JSON faithfully."""


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(data):
            raise ProtobufError("truncated varint")
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value): varints as int, length-delimited as bytes."""
    out, i = [], 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 2:
            length, i = _varint(data, i)
            value, i = data[i:i + length], i + length
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _empty(value: Any) -> bool:
    return value in ("", 0, False, None, {}, []) or value == b""


def _scalar(kind: str, wire: int, value: Any, where: str) -> Any:
    if kind == S:
        return value.decode("utf-8")
    if kind == B:
        return base64.b64encode(value).decode()
    if kind == I:
        return _signed(value)
    if kind == BOOL:
        return bool(value)
    if kind == "time":
        parts = {n: v for n, _, v in fields(value)}
        if not parts:
            return None
        when = _dt.datetime.fromtimestamp(_signed(parts.get(1, 0)), _dt.UTC)
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "intstr":
        parts = {n: v for n, _, v in fields(value)}
        return parts.get(3, b"").decode() if parts.get(1, 0) == 1 else _signed(parts.get(2, 0))
    if kind.startswith("map:"):
        entry = {n: v for n, _, v in fields(value)}
        key = entry.get(1, b"").decode()
        raw = entry.get(2, b"")
        if kind == "map:bytes":
            return key, base64.b64encode(raw).decode()
        if kind == "map:quantity":
            return key, {n: v for n, _, v in fields(raw)}.get(1, b"").decode()
        return key, raw.decode()
    raise ProtobufError(f"{where}: unknown type {kind}")


def decode_message(name: str, data: bytes, where: str = "") -> dict[str, Any]:
    if name == "Ignored":
        return {}
    table = MESSAGES[name]
    out: dict[str, Any] = {}
    for number, wire, value in fields(data):
        where_here = f"{where}{name}.{number}"
        spec = table.get(number)
        if spec is None:
            if not _empty(value):
                raise ProtobufError(f"protobuf field {number} of {name} is not supported by this API server; "
                                    f"send the object as JSON")
            continue
        field, kind, repeated = spec
        if kind in MESSAGES:
            decoded: Any = decode_message(kind, value, where_here + ">")
        else:
            decoded = _scalar(kind, wire, value, where_here)
        if kind.startswith("map:"):
            out.setdefault(field, {})[decoded[0]] = decoded[1]
        elif repeated:
            out.setdefault(field, []).append(decoded)
        else:
            out[field] = decoded
    return {k: v for k, v in out.items() if k in KEEP_ZERO or not _empty(v)}


def decode(body: bytes) -> dict[str, Any]:
    """A protobuf-encoded object as its JSON dict (apiVersion and kind from the envelope)."""
    if not body.startswith(MAGIC):
        raise ProtobufError("the body does not start with the Kubernetes protobuf magic number")
    envelope = {n: v for n, _, v in fields(body[len(MAGIC):])}
    type_meta = {n: v for n, _, v in fields(envelope.get(1, b""))}
    api_version, kind = type_meta.get(1, b"").decode(), type_meta.get(2, b"").decode()
    if envelope.get(3):
        raise ProtobufError("compressed protobuf bodies are not supported")
    if kind not in MESSAGES:
        raise ProtobufError(f"protobuf bodies of kind {kind or '(none)'} are not supported by this API server; "
                            f"send the object as JSON")
    obj = decode_message(kind, envelope.get(2, b""))
    obj = {"apiVersion": api_version, "kind": kind, **obj}
    return obj
