"""The `before-you-begin` (and `before-you-begin-entra`) cluster content: the prerequisite article's store,
key-based ai-service.

A seeder of the Kubernetes section (`section.seeders`, given by assembly.py): it runs for every seeded cluster after a
scenario loads and for the cluster of each workshop tenant added later. The Azure OpenAI account
and its deployment are the ones in the cluster's resource group; the endpoint is rendered from
the emulator's URL at load time, and the account key goes only into the Deployment's env (and, as on AKS, into the
last-applied-configuration annotation and the managedFields entry `kubectl apply` leaves; see applied.py).
"""
from __future__ import annotations

from typing import Any

import store_manifests as manifests

from .applied import APPLY_MANAGER, as_applied

SCENARIOS = ("before-you-begin", "before-you-begin-entra")
NAMESPACE = "default"
ACCOUNT_TYPE = "Microsoft.CognitiveServices/accounts"
DEPLOYMENT_TYPE = "Microsoft.CognitiveServices/accounts/deployments"
RESOURCES = {"Deployment": "deployments", "Service": "services"}


def _openai_account(state: Any, cluster_id: str) -> tuple[dict[str, Any], str] | None:
    group = "/".join(cluster_id.split("/")[:5])
    for account in state.resources.under(group, ACCOUNT_TYPE):
        if account.get("kind") not in ("OpenAI", "AIServices"):
            continue
        deployments = state.resources.under(account["id"], DEPLOYMENT_TYPE)
        if deployments:
            return account, deployments[0]["name"]
    return None


def seed_store_workload(backend: Any, store: Any, scenario: str) -> None:
    if scenario not in SCENARIOS:
        return
    from ..arm.cognitiveservices.models import current_keys, endpoint_of

    doc = store.cluster.doc
    if doc is None:
        return
    found = _openai_account(backend.state, doc["id"])
    if found is None:
        return
    account, deployment = found
    key = current_keys(backend.state, account)["key1"]
    for obj in manifests.store_workload(endpoint_of(account, backend.base_url), deployment, key):
        name = obj["metadata"]["name"]
        resource = RESOURCES[obj["kind"]]
        if store.find(resource, NAMESPACE, name) is None:
            store.create(resource, as_applied(obj), NAMESPACE, manager=APPLY_MANAGER)
