"""keyless.steps.deploy without a cluster: what is recorded of the original Deployment (never a key),
the named differences from the article's Deployment, and when a rollout is complete."""
from __future__ import annotations

import json

import keyless
from keyless.steps.deploy import (
    KEY_VARIABLES,
    LAST_APPLIED,
    RESTORE_MARKER,
    differences,
    last_applied_without_key,
    rollout_complete,
    with_key,
    without_secrets,
)


def test_recorded_deployment_holds_no_key_and_differences_are_named():
    dep = {"metadata": {"name": "ai-service", "uid": "u", "resourceVersion": "7"},
           "spec": {"replicas": 1, "template": {"metadata": {"labels": {"app": "ai-service"}}, "spec": {
               "containers": [{"name": "ai-service", "env": [{"name": "OPENAI_API_KEY", "value": "sk-123"},
                                                             {"name": "USE_AZURE_OPENAI", "value": "True"}]}]}}},
           "status": {"replicas": 1}}
    clean = without_secrets(dep)
    assert "sk-123" not in json.dumps(clean) and RESTORE_MARKER in json.dumps(clean)
    assert "status" not in clean and "uid" not in clean["metadata"]
    found = {"openai_deployment": "gpt", "openai_endpoint": "https://x/"}
    diff = differences(dep, keyless.Parameters(), found)
    assert diff == ["pod label azure.workload.identity/use=true", "serviceAccountName ai-service-account",
                    "env USE_AZURE_AD", "env AZURE_OPENAI_DEPLOYMENT_NAME", "env AZURE_OPENAI_ENDPOINT",
                    "remove env OPENAI_API_KEY"]
    assert set(KEY_VARIABLES) == {"OPENAI_API_KEY", "AZURE_OPENAI_API_KEY"}


def test_kubectls_last_applied_copy_of_the_key_is_recorded_with_the_marker_and_named_as_a_difference():
    manifest = json.dumps({"spec": {"template": {"spec": {"containers": [
        {"name": "ai-service", "env": [{"name": "OPENAI_API_KEY", "value": "sk-999"}]}]}}}})
    dep = {"metadata": {"name": "ai-service", "annotations": {LAST_APPLIED: manifest, "team": "store"}},
           "spec": {"replicas": 1, "template": {"metadata": {"labels": {"azure.workload.identity/use": "true"}},
                                                "spec": {"serviceAccountName": "ai-service-account", "containers": [
                                                    {"name": "ai-service", "env": []}]}}}}
    recorded = without_secrets(dep)
    assert "sk-999" not in json.dumps(recorded)
    assert recorded["metadata"]["annotations"] == {"team": "store", LAST_APPLIED: manifest.replace("sk-999",
                                                                                                   RESTORE_MARKER)}
    found = {"openai_deployment": "gpt", "openai_endpoint": "https://x/"}
    assert f"remove the key from the {LAST_APPLIED} annotation" in differences(dep, keyless.Parameters(), found)


def test_rollout_is_complete_only_when_old_pods_are_gone():
    base = {"metadata": {"generation": 2}, "spec": {"replicas": 1}}
    assert not rollout_complete({**base, "status": {"observedGeneration": 1, "updatedReplicas": 1, "readyReplicas": 1,
                                                    "availableReplicas": 1, "replicas": 1}})[0]
    assert not rollout_complete({**base, "status": {"observedGeneration": 2, "updatedReplicas": 1, "readyReplicas": 2,
                                                    "availableReplicas": 2, "replicas": 2}})[0]
    assert rollout_complete({**base, "status": {"observedGeneration": 2, "updatedReplicas": 1, "readyReplicas": 1,
                                                "availableReplicas": 1, "replicas": 1}})[0]


def test_the_last_applied_annotation_comes_back_byte_for_byte_with_the_key():
    text = json.dumps({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
        {"name": "ai-service", "env": [{"name": "OPENAI_API_KEY", "value": "k+/="}, {"name": "A", "value": "1"}]}]}}}},
        sort_keys=True, separators=(",", ":")) + "\n"
    recorded = last_applied_without_key(text, set())
    assert recorded is not None and "k+/=" not in recorded and RESTORE_MARKER in recorded
    assert with_key(recorded, "k+/=") == text


def test_an_unreadable_last_applied_annotation_is_dropped_rather_than_recorded():
    dep = {"metadata": {"name": "ai-service", "annotations": {LAST_APPLIED: "{not json sk-1"}},
           "spec": {"template": {"spec": {"containers": [{"name": "ai-service",
                                                          "env": [{"name": "OPENAI_API_KEY", "value": "sk-1"}]}]}}}}
    assert without_secrets(dep)["metadata"]["annotations"] == {}
