"""Pod volumes in the pod folder: token files (no newline, 0600), secrets, config maps, path remapping."""
from __future__ import annotations

import base64
import stat
from dataclasses import dataclass

import pytest

from keyless_emulator.kubelet.volumes import PodVolumes, VolumeError, remap


@dataclass
class Minted:
    token: str
    issued_at: int
    expires_at: int


POD = {"metadata": {"name": "p", "namespace": "default"}, "spec": {
    "containers": [{"name": "c", "volumeMounts": [
        {"name": "azure-identity-token", "mountPath": "/var/run/secrets/azure/tokens", "readOnly": True},
        {"name": "cfg", "mountPath": "/etc/cfg"}]}],
    "volumes": [
        {"name": "azure-identity-token", "projected": {"sources": [{"serviceAccountToken": {
            "path": "azure-identity-token", "expirationSeconds": 3600, "audience": "api://AzureADTokenExchange"}}]}},
        {"name": "cfg", "configMap": {"name": "settings", "items": [{"key": "a", "path": "nested/a.txt"}]}},
        {"name": "creds", "secret": {"secretName": "openai"}}]}}


def lookups():
    secrets = {("default", "openai"): {"data": {"key": base64.b64encode(b"k").decode()}}}
    cms = {("default", "settings"): {"data": {"a": "1", "b": "2"}}}
    return (lambda ns, n: secrets.get((ns, n))), (lambda ns, n: cms.get((ns, n)))


def test_token_file_has_no_newline_and_mode_0600(tmp_path):
    calls = []

    def mint(audience, expiration):
        calls.append((audience, expiration))
        return Minted("header.payload.sig", 1000, 1000 + expiration)

    v = PodVolumes(tmp_path / "pod", "default")
    v.setup(POD, mint, *lookups())
    token = tmp_path / "pod" / "volumes" / "azure-identity-token" / "azure-identity-token"
    assert token.read_bytes() == b"header.payload.sig"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert calls == [("api://AzureADTokenExchange", 3600)]
    assert v.tokens[0].refresh_at == 1000 + 0.8 * 3600


def test_config_map_items_and_secret_keys(tmp_path):
    v = PodVolumes(tmp_path / "pod", "default")
    v.setup(POD, lambda a, e: Minted("t", 0, e), *lookups())
    assert (v.folder("cfg") / "nested" / "a.txt").read_text() == "1"
    assert not (v.folder("cfg") / "b").exists()
    assert (v.folder("creds") / "key").read_bytes() == b"k"


def test_missing_secret_fails_the_mount(tmp_path):
    pod = {"metadata": {"name": "p"}, "spec": {"volumes": [{"name": "x", "secret": {"secretName": "gone"}}]}}
    with pytest.raises(VolumeError) as e:
        PodVolumes(tmp_path / "pod", "default").setup(pod, lambda a, e: None, *lookups())
    assert str(e.value) == 'secret "gone" not found'


def test_paths_inside_a_mount_are_remapped(tmp_path):
    v = PodVolumes(tmp_path / "pod", "default")
    mounts = v.mounts(POD["spec"]["containers"][0])
    assert remap("/var/run/secrets/azure/tokens/azure-identity-token", mounts) == \
        str(v.folder("azure-identity-token") / "azure-identity-token")
    assert remap("/etc/cfg", mounts) == str(v.folder("cfg"))
    assert remap("/etc/cfgx", mounts) == "/etc/cfgx"
    assert remap("True", mounts) == "True"


def test_remove_cleans_the_folder(tmp_path):
    v = PodVolumes(tmp_path / "pod", "default")
    v.setup(POD, lambda a, e: Minted("t", 0, e), *lookups())
    v.remove()
    assert not (tmp_path / "pod").exists()
