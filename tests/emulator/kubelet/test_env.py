"""Container environment resolution: literal values, $(VAR), secrets, config maps, fieldRef, envFrom."""
from __future__ import annotations

import base64

import pytest

from keyless_emulator.kubelet.env import ContainerConfigError, resolve_env

POD = {"metadata": {"name": "ai-service-abc", "namespace": "shop", "uid": "u-1", "labels": {"app": "ai"}},
       "spec": {"nodeName": "node-1", "serviceAccountName": "sa"}, "status": {"podIP": "10.244.0.7"}}
SECRETS = {("shop", "openai"): {"data": {"key": base64.b64encode(b"s3cr3t").decode()}}}
CONFIGMAPS = {("shop", "settings"): {"data": {"DEPLOYMENT": "gpt-4o-mini", "TEMPERATURE": "0.5"}}}


def resolve(container):
    return resolve_env(POD, container, lambda ns, n: SECRETS.get((ns, n)), lambda ns, n: CONFIGMAPS.get((ns, n)))


def test_literal_values_and_expansion():
    env = resolve({"env": [{"name": "A", "value": "x"}, {"name": "B", "value": "$(A)-y-$(MISSING)-$$(A)"}]})
    assert env == {"A": "x", "B": "x-y-$(MISSING)-$(A)"}


def test_secret_and_config_map_keys():
    env = resolve({"env": [
        {"name": "OPENAI_API_KEY", "valueFrom": {"secretKeyRef": {"name": "openai", "key": "key"}}},
        {"name": "DEPLOYMENT", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "DEPLOYMENT"}}}]})
    assert env == {"OPENAI_API_KEY": "s3cr3t", "DEPLOYMENT": "gpt-4o-mini"}


def test_field_refs():
    env = resolve({"env": [{"name": n, "valueFrom": {"fieldRef": {"fieldPath": p}}} for n, p in (
        ("NAME", "metadata.name"), ("NS", "metadata.namespace"), ("NODE", "spec.nodeName"),
        ("IP", "status.podIP"), ("APP", "metadata.labels['app']"))]})
    assert env == {"NAME": "ai-service-abc", "NS": "shop", "NODE": "node-1", "IP": "10.244.0.7", "APP": "ai"}


def test_env_from_with_prefix_then_env_overrides():
    env = resolve({"envFrom": [{"configMapRef": {"name": "settings"}, "prefix": "CFG_"},
                               {"secretRef": {"name": "openai"}}],
                   "env": [{"name": "CFG_TEMPERATURE", "value": "1"}]})
    assert env == {"CFG_DEPLOYMENT": "gpt-4o-mini", "CFG_TEMPERATURE": "1", "key": "s3cr3t"}


def test_missing_secret_is_a_create_container_config_error():
    with pytest.raises(ContainerConfigError) as e:
        resolve({"env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k"}}}]})
    assert str(e.value) == 'secret "nope" not found'


def test_missing_key_names_the_object():
    with pytest.raises(ContainerConfigError) as e:
        resolve({"env": [{"name": "K", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "nope"}}}]})
    assert str(e.value) == "couldn't find key nope in ConfigMap shop/settings"


def test_optional_references_are_skipped():
    env = resolve({"env": [{"name": "K",
                            "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k", "optional": True}}}],
                   "envFrom": [{"configMapRef": {"name": "nope", "optional": True}}]})
    assert env == {}
