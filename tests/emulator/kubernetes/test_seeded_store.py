"""The before-you-begin store as the prerequisite article's `kubectl apply` left it: the
last-applied-configuration annotation on every store object, so the secure-access article's
`kubectl apply` of the keyless Deployment removes the API key (a three-way patch), and pods
whose age counts from the cluster's start."""
from __future__ import annotations

import datetime as dt
import json

from kit import wait_for

from keyless_emulator.storeapps.applied import LAST_APPLIED

from .conftest import AI_SERVICE_ACCOUNT, AI_SERVICE_DEPLOYMENT

STORE = [("deployments", "ai-service"), ("services", "ai-service"), ("deployments", "product-service"),
         ("services", "product-service"), ("deployments", "store-admin"), ("services", "store-admin")]


def test_every_store_object_carries_kubectls_last_applied_configuration(store):
    for resource, name in STORE:
        obj = store.find(resource, "default", name)
        text = obj["metadata"]["annotations"][LAST_APPLIED]
        applied = json.loads(text)
        assert text.endswith("}\n") and text == json.dumps(applied, sort_keys=True, separators=(",", ":")) + "\n"
        assert applied["metadata"] == {"annotations": {}, "name": name, "namespace": "default"}
        assert applied["kind"] == obj["kind"] and applied["spec"]["selector"]


def test_the_articles_apply_removes_the_key_from_the_deployment_and_its_pod(kubectl, store):
    kubectl("apply", "-f", "-", input=AI_SERVICE_ACCOUNT.format(client_id="11111111-2222-3333-4444-555555555555"))
    done = kubectl("apply", "-f", "-", input=AI_SERVICE_DEPLOYMENT.format(deployment="gpt-4o-mini"))
    assert "missing the kubectl.kubernetes.io/last-applied-configuration" not in done.stderr
    dep = store.find("deployments", "default", "ai-service")
    env = [e["name"] for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]]
    assert env == ["USE_AZURE_OPENAI", "USE_AZURE_AD", "AZURE_OPENAI_DEPLOYMENT_NAME", "AZURE_OPENAI_ENDPOINT"]
    assert "OPENAI_API_KEY" not in dep["metadata"]["annotations"][LAST_APPLIED]

    def only_the_new_pod() -> dict | None:
        pods = [p for p in store.list("pods", "default")[0] if p["metadata"]["labels"].get("app") == "ai-service"]
        env = {e["name"] for p in pods for e in p["spec"]["containers"][0].get("env") or []}
        return pods[0] if len(pods) == 1 and "USE_AZURE_AD" in env else None

    newest = wait_for(only_the_new_pod, 30, "the rollout to leave one ai-service pod, the new one")
    described = kubectl("describe", "pod", newest["metadata"]["name"]).stdout
    assert "USE_AZURE_AD:" in described and "OPENAI_API_KEY" not in described


def test_seeded_pods_are_as_old_as_the_running_cluster(store):
    now = dt.datetime.now(dt.UTC)
    pods, _ = store.list("pods", "default")
    assert pods
    for pod in pods:
        created = dt.datetime.strptime(pod["metadata"]["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")
        assert now - created.replace(tzinfo=dt.UTC) < dt.timedelta(hours=1), pod["metadata"]["name"]
