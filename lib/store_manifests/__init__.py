"""The prerequisite article's workload in namespace `default`, as Kubernetes objects — one copy,
shared: the emulator seeds `before-you-begin` with it, and the runbook's prerequisites notebook
applies it (to AKS or to the emulator) with `kubectl apply`'s semantics. Standard library only; it
imports neither the runbook nor the emulator (an import-linter contract in pyproject.toml).

- ai-service: the prerequisite article's own `ai-service.yaml` (Deployment + ClusterIP Service
  5001), key-based: USE_AZURE_OPENAI=True, the deployment name, the account endpoint and the
  account key in OPENAI_API_KEY. The key lives only in this object (never logged).
- product-service (ClusterIP 3002) and store-admin (LoadBalancer 80 -> 8081) from the
  aks-store-demo all-in-one manifest (2.2.0), the pieces the runbook's last step uses.
"""
from __future__ import annotations

import copy
import json
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
APPLY_MANAGER = "kubectl-client-side-apply"
STORE_VERSION = "2.2.0"
IMAGE = "ghcr.io/azure-samples/aks-store-demo/{app}:" + STORE_VERSION
LINUX = {"kubernetes.io/os": "linux"}


def _deployment(name: str, container: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"nodeSelector": dict(LINUX), "containers": [container]}}},
    }


def _service(name: str, port: int, target: int, type_: str = "ClusterIP") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
            "spec": {"type": type_, "ports": [{"name": "http", "port": port, "targetPort": target}],
                     "selector": {"app": name}}}


def _probes(port: int) -> dict[str, Any]:
    return {"readinessProbe": {"httpGet": {"path": "/health", "port": port}, "initialDelaySeconds": 3,
                               "periodSeconds": 3, "failureThreshold": 3},
            "livenessProbe": {"httpGet": {"path": "/health", "port": port}, "initialDelaySeconds": 3,
                              "periodSeconds": 3, "failureThreshold": 5}}


def ai_service(endpoint: str, deployment: str, api_key: str) -> list[dict[str, Any]]:
    container = {
        "name": "ai-service", "image": IMAGE.format(app="ai-service"),
        "ports": [{"containerPort": 5001}],
        "env": [{"name": "USE_AZURE_OPENAI", "value": "True"},
                {"name": "AZURE_OPENAI_DEPLOYMENT_NAME", "value": deployment},
                {"name": "AZURE_OPENAI_ENDPOINT", "value": endpoint},
                {"name": "OPENAI_API_KEY", "value": api_key}],
        "resources": {"requests": {"cpu": "20m", "memory": "50Mi"}, "limits": {"cpu": "50m", "memory": "128Mi"}},
    }
    return [_deployment("ai-service", container), _service("ai-service", 5001, 5001)]


def product_service() -> list[dict[str, Any]]:
    container = {
        "name": "product-service", "image": IMAGE.format(app="product-service"),
        "ports": [{"containerPort": 3002}],
        "env": [{"name": "AI_SERVICE_URL", "value": "http://ai-service:5001/"}],
        "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}, "limits": {"cpu": "2m", "memory": "20Mi"}},
        **_probes(3002),
    }
    return [_deployment("product-service", container), _service("product-service", 3002, 3002)]


def store_admin() -> list[dict[str, Any]]:
    container = {
        "name": "store-admin", "image": IMAGE.format(app="store-admin"),
        "ports": [{"containerPort": 8081, "name": "store-admin"}],
        "env": [{"name": "VUE_APP_PRODUCT_SERVICE_URL", "value": "http://product-service:3002/"},
                {"name": "VUE_APP_MAKELINE_SERVICE_URL", "value": "http://makeline-service:3001/"}],
        "resources": {"requests": {"cpu": "1m", "memory": "200Mi"}, "limits": {"cpu": "1000m", "memory": "512Mi"}},
        **_probes(8081),
    }
    return [_deployment("store-admin", container), _service("store-admin", 80, 8081, "LoadBalancer")]


def store_workload(endpoint: str, deployment: str, api_key: str) -> list[dict[str, Any]]:
    """Every object, in the order `kubectl apply` would create them."""
    return [*ai_service(endpoint, deployment, api_key), *product_service(), *store_admin()]


def last_applied_configuration(manifest: dict[str, Any]) -> str:
    """What `kubectl apply` stores in the last-applied-configuration annotation: the applied manifest
    as compact JSON with sorted keys, its own annotation left out (an empty `annotations` map remains)
    and a trailing newline, as kubectl writes it."""
    applied = copy.deepcopy(manifest)
    meta = applied.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    meta["annotations"] = annotations
    text = json.dumps(applied, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Go's encoding/json escapes these three in strings; kubectl's annotation shows them so.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text + "\n"


def as_applied(manifest: dict[str, Any]) -> dict[str, Any]:
    """The object kubectl sends when it creates `manifest` with `kubectl apply`."""
    obj = copy.deepcopy(manifest)
    annotations = obj.setdefault("metadata", {}).setdefault("annotations", {})
    annotations[LAST_APPLIED] = last_applied_configuration(manifest)
    return obj
