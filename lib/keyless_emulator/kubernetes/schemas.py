"""The object schemas of the served kinds: one compact table used twice.

- `unknown_fields(kind, obj)` / `type_errors`: what kube-apiserver's strict decoder reports
  (`unknown field "spec.foo"`, `json: cannot unmarshal string into Go struct field ...`), and
  `prune(kind, obj)` drops unknown fields as the real decoder does when validation is not Strict;
- `openapi_schemas()`: `components.schemas` of the /openapi/v3 documents (for `kubectl explain`).

Field specs: "string", "integer", "boolean", "number", "int-or-string", "quantity", "time",
"map" (string → string), "map:quantity", "any" (free-form), "[T]" (list of T), or a type name.
Types named in OPEN keep unknown fields (their real schema is larger than what we check).
"""
from __future__ import annotations

from typing import Any

_META = {"annotations": "map", "creationTimestamp": "time", "deletionGracePeriodSeconds": "integer",
         "deletionTimestamp": "time", "finalizers": "[string]", "generateName": "string", "generation": "integer",
         "labels": "map", "managedFields": "[any]", "name": "string", "namespace": "string",
         "ownerReferences": "[OwnerReference]", "resourceVersion": "string", "selfLink": "string", "uid": "string"}

TYPES: dict[str, dict[str, str]] = {
    "ObjectMeta": _META,
    "ListMeta": {"continue": "string", "remainingItemCount": "integer", "resourceVersion": "string",
                 "selfLink": "string"},
    "OwnerReference": {"apiVersion": "string", "blockOwnerDeletion": "boolean", "controller": "boolean",
                       "kind": "string", "name": "string", "uid": "string"},
    "LabelSelector": {"matchExpressions": "[LabelSelectorRequirement]", "matchLabels": "map"},
    "LabelSelectorRequirement": {"key": "string", "operator": "string", "values": "[string]"},
    "LocalObjectReference": {"name": "string"},
    "ObjectReference": {"apiVersion": "string", "fieldPath": "string", "kind": "string", "name": "string",
                        "namespace": "string", "resourceVersion": "string", "uid": "string"},
    "Namespace": {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "spec": "NamespaceSpec",
                  "status": "any"},
    "NamespaceSpec": {"finalizers": "[string]"},
    "ServiceAccount": {"apiVersion": "string", "automountServiceAccountToken": "boolean",
                       "imagePullSecrets": "[LocalObjectReference]", "kind": "string", "metadata": "ObjectMeta",
                       "secrets": "[ObjectReference]"},
    "Secret": {"apiVersion": "string", "data": "map", "immutable": "boolean", "kind": "string",
               "metadata": "ObjectMeta", "stringData": "map", "type": "string"},
    "ConfigMap": {"apiVersion": "string", "binaryData": "map", "data": "map", "immutable": "boolean",
                  "kind": "string", "metadata": "ObjectMeta"},
    "Endpoints": {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "subsets": "[any]"},
    "EndpointSlice": {"addressType": "string", "apiVersion": "string", "endpoints": "[any]", "kind": "string",
                      "metadata": "ObjectMeta", "ports": "[any]"},
    "Node": {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "spec": "any", "status": "any"},
    "Event": {"action": "string", "apiVersion": "string", "count": "integer", "eventTime": "any",
              "firstTimestamp": "time", "involvedObject": "ObjectReference", "kind": "string",
              "lastTimestamp": "time", "message": "string", "metadata": "ObjectMeta", "reason": "string",
              "related": "ObjectReference", "reportingComponent": "string", "reportingInstance": "string",
              "series": "any", "source": "EventSource", "type": "string"},
    "EventSource": {"component": "string", "host": "string"},
    "Service": {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "spec": "ServiceSpec",
                "status": "any"},
    "ServiceSpec": {"allocateLoadBalancerNodePorts": "boolean", "clusterIP": "string", "clusterIPs": "[string]",
                    "externalIPs": "[string]", "externalName": "string", "externalTrafficPolicy": "string",
                    "healthCheckNodePort": "integer", "internalTrafficPolicy": "string", "ipFamilies": "[string]",
                    "ipFamilyPolicy": "string", "loadBalancerClass": "string", "loadBalancerIP": "string",
                    "loadBalancerSourceRanges": "[string]", "ports": "[ServicePort]",
                    "publishNotReadyAddresses": "boolean", "selector": "map", "sessionAffinity": "string",
                    "sessionAffinityConfig": "any", "trafficDistribution": "string", "type": "string"},
    "ServicePort": {"appProtocol": "string", "name": "string", "nodePort": "integer", "port": "integer",
                    "protocol": "string", "targetPort": "int-or-string"},
    "Pod": {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "spec": "PodSpec", "status": "any"},
    "PodTemplateSpec": {"metadata": "ObjectMeta", "spec": "PodSpec"},
    "PodSpec": {"activeDeadlineSeconds": "integer", "affinity": "any", "automountServiceAccountToken": "boolean",
                "containers": "[Container]", "dnsConfig": "any", "dnsPolicy": "string",
                "enableServiceLinks": "boolean", "ephemeralContainers": "[any]", "hostAliases": "[any]",
                "hostIPC": "boolean", "hostNetwork": "boolean", "hostPID": "boolean", "hostUsers": "boolean",
                "hostname": "string", "imagePullSecrets": "[LocalObjectReference]", "initContainers": "[Container]",
                "nodeName": "string", "nodeSelector": "map", "os": "any", "overhead": "map:quantity",
                "preemptionPolicy": "string", "priority": "integer", "priorityClassName": "string",
                "readinessGates": "[any]", "resourceClaims": "[any]", "resources": "ResourceRequirements",
                "restartPolicy": "string", "runtimeClassName": "string", "schedulerName": "string",
                "schedulingGates": "[any]", "securityContext": "any", "serviceAccount": "string",
                "serviceAccountName": "string", "setHostnameAsFQDN": "boolean", "shareProcessNamespace": "boolean",
                "subdomain": "string", "terminationGracePeriodSeconds": "integer", "tolerations": "[Toleration]",
                "topologySpreadConstraints": "[any]", "volumes": "[Volume]"},
    "Container": {"args": "[string]", "command": "[string]", "env": "[EnvVar]", "envFrom": "[any]",
                  "image": "string", "imagePullPolicy": "string", "lifecycle": "any", "livenessProbe": "any",
                  "name": "string", "ports": "[ContainerPort]", "readinessProbe": "any", "resizePolicy": "[any]",
                  "resources": "ResourceRequirements", "restartPolicy": "string", "securityContext": "any",
                  "startupProbe": "any", "stdin": "boolean", "stdinOnce": "boolean",
                  "terminationMessagePath": "string", "terminationMessagePolicy": "string", "tty": "boolean",
                  "volumeDevices": "[any]", "volumeMounts": "[VolumeMount]", "workingDir": "string"},
    "EnvVar": {"name": "string", "value": "string", "valueFrom": "any"},
    "ContainerPort": {"containerPort": "integer", "hostIP": "string", "hostPort": "integer", "name": "string",
                      "protocol": "string"},
    "ResourceRequirements": {"claims": "[any]", "limits": "map:quantity", "requests": "map:quantity"},
    "VolumeMount": {"mountPath": "string", "mountPropagation": "string", "name": "string", "readOnly": "boolean",
                    "recursiveReadOnly": "string", "subPath": "string", "subPathExpr": "string"},
    "Volume": {"name": "string"},
    "Toleration": {"effect": "string", "key": "string", "operator": "string", "tolerationSeconds": "integer",
                   "value": "string"},
    "Deployment": {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "spec": "DeploymentSpec",
                   "status": "any"},
    "DeploymentSpec": {"minReadySeconds": "integer", "paused": "boolean", "progressDeadlineSeconds": "integer",
                       "replicas": "integer", "revisionHistoryLimit": "integer", "selector": "LabelSelector",
                       "strategy": "DeploymentStrategy", "template": "PodTemplateSpec"},
    "DeploymentStrategy": {"rollingUpdate": "RollingUpdateDeployment", "type": "string"},
    "RollingUpdateDeployment": {"maxSurge": "int-or-string", "maxUnavailable": "int-or-string"},
    "ReplicaSet": {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "spec": "ReplicaSetSpec",
                   "status": "any"},
    "ReplicaSetSpec": {"minReadySeconds": "integer", "replicas": "integer", "selector": "LabelSelector",
                       "template": "PodTemplateSpec"},
    "SelfSubjectReview": {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "status": "any"},
    "SelfSubjectAccessReview": {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "spec": "any",
                                "status": "any"},
    "SubjectAccessReview": {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "spec": "any",
                            "status": "any"},
    "PolicyRule": {"apiGroups": "[string]", "nonResourceURLs": "[string]", "resourceNames": "[string]",
                   "resources": "[string]", "verbs": "[string]"},
    "Role": {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "rules": "[PolicyRule]"},
    "ClusterRole": {"aggregationRule": "any", "apiVersion": "string", "kind": "string", "metadata": "ObjectMeta",
                    "rules": "[PolicyRule]"},
    "RoleRef": {"apiGroup": "string", "kind": "string", "name": "string"},
    "Subject": {"apiGroup": "string", "kind": "string", "name": "string", "namespace": "string"},
    "RoleBinding": {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "roleRef": "RoleRef",
                    "subjects": "[Subject]"},
    "ClusterRoleBinding": {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "roleRef": "RoleRef",
                           "subjects": "[Subject]"},
    "Scale": {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "spec": "ScaleSpec",
              "status": "any"},
    "ScaleSpec": {"replicas": "integer"},
}
OPEN = {"Volume"}  # the many volume sources are kept as sent
GO_NAMES = {"ObjectMeta": "ObjectMeta"}
_PACKAGE = {"Deployment": "apps", "DeploymentSpec": "apps", "DeploymentStrategy": "apps",
            "RollingUpdateDeployment": "apps", "ReplicaSet": "apps", "ReplicaSetSpec": "apps",
            "ObjectMeta": "meta", "ListMeta": "meta", "OwnerReference": "meta", "LabelSelector": "meta",
            "LabelSelectorRequirement": "meta", "Scale": "autoscaling", "ScaleSpec": "autoscaling",
            "EndpointSlice": "discovery", "SelfSubjectReview": "authentication",
            "SelfSubjectAccessReview": "authorization", "SubjectAccessReview": "authorization",
            "PolicyRule": "rbac", "Role": "rbac", "ClusterRole": "rbac", "RoleRef": "rbac", "Subject": "rbac",
            "RoleBinding": "rbac", "ClusterRoleBinding": "rbac"}


def _go_type(spec: str) -> str:
    return {"string": "string", "integer": "int32", "boolean": "bool", "number": "float64", "time": "Time",
            "map": "map[string]string"}.get(spec, spec)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _check(spec: str, value: Any, path: str, owner: str, unknown: list[str], bad: list[str], prune: bool) -> Any:
    if value is None or spec == "any":
        return value
    kind = _json_kind(value)

    def mismatch(want: str) -> None:
        bad.append(f"json: cannot unmarshal {kind} into Go struct field {owner}.{path} of type {want}")

    if spec.startswith("["):
        if kind != "array":
            mismatch("[]" + _go_type(spec[1:-1]))
            return value
        return [_check(spec[1:-1], v, path, owner, unknown, bad, prune) for v in value]
    if spec in ("string", "time"):
        if kind != "string":
            mismatch(_go_type(spec))
    elif spec == "integer":
        if kind != "number" or (isinstance(value, float) and not value.is_integer()):
            mismatch("int32")
    elif spec == "number":
        if kind != "number":
            mismatch("float64")
    elif spec == "boolean":
        if kind != "bool":
            mismatch("bool")
    elif spec == "int-or-string":
        if kind not in ("number", "string"):
            mismatch("intstr.IntOrString")
    elif spec.startswith("map"):
        if kind != "object":
            mismatch("map[string]string")
        elif spec == "map":
            for v in value.values():
                if not isinstance(v, str):
                    bad.append(f"json: cannot unmarshal {_json_kind(v)} into Go struct field {owner}.{path} of type "
                               "string")
        else:
            for v in value.values():
                if not isinstance(v, (str, int, float)) or isinstance(v, bool):
                    bad.append("quantities must match the regular expression "
                               "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    elif spec in TYPES:
        if kind != "object":
            mismatch(spec)
            return value
        return _check_type(spec, value, path, unknown, bad, prune)
    return value


def _check_type(name: str, obj: dict[str, Any], path: str, unknown: list[str], bad: list[str],
                prune: bool) -> dict[str, Any]:
    fields = TYPES[name]
    out = {}
    for key, value in obj.items():
        child = f"{path}.{key}" if path else key
        if key not in fields:
            if name in OPEN:
                out[key] = value
                continue
            unknown.append(child)
            if not prune:
                out[key] = value
            continue
        out[key] = _check(fields[key], value, child, name, unknown, bad, prune)
    return out


def check(kind: str, obj: dict[str, Any], prune: bool = False) -> tuple[dict[str, Any], list[str], list[str]]:
    """(object, unknown field paths, type errors); with prune=True unknown fields are dropped."""
    unknown: list[str] = []
    bad: list[str] = []
    if kind not in TYPES:
        return obj, unknown, bad
    out = _check_type(kind, obj, "", unknown, bad, prune)
    return out, unknown, bad


# -- OpenAPI v3 components ----------------------------------------------------------------
def schema_name(type_name: str) -> str:
    package = _PACKAGE.get(type_name, "core")
    if package == "meta":
        return f"io.k8s.apimachinery.pkg.apis.meta.v1.{type_name}"
    return f"io.k8s.api.{package}.v1.{type_name}"


def _openapi(spec: str) -> dict[str, Any]:
    if spec.startswith("["):
        return {"type": "array", "items": _openapi(spec[1:-1])}
    simple = {"string": {"type": "string", "default": ""}, "integer": {"type": "integer", "format": "int32"},
              "boolean": {"type": "boolean"}, "number": {"type": "number", "format": "double"},
              "time": {"type": "string", "format": "date-time"},
              "int-or-string": {"x-kubernetes-int-or-string": True},
              "map": {"type": "object", "additionalProperties": {"type": "string", "default": ""}},
              "map:quantity": {"type": "object", "additionalProperties": {"x-kubernetes-int-or-string": True}},
              "any": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    if spec in simple:
        return dict(simple[spec])
    return {"allOf": [{"$ref": f"#/components/schemas/{schema_name(spec)}"}]}


def openapi_schemas(kinds: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """Every type's schema; top-level kinds carry x-kubernetes-group-version-kind."""
    out: dict[str, Any] = {}
    for name, fields in TYPES.items():
        schema: dict[str, Any] = {"type": "object", "properties": {k: _openapi(v) for k, v in sorted(fields.items())}}
        if name in OPEN:
            schema["x-kubernetes-preserve-unknown-fields"] = True
        if name in kinds:
            group, version = kinds[name]
            schema["x-kubernetes-group-version-kind"] = [{"group": group, "kind": name, "version": version}]
        out[schema_name(name)] = schema
    return out
