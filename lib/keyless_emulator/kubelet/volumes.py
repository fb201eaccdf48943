"""Pod volumes, materialized in the pod's folder on this machine.

`<pods_dir>/<cluster>/<namespace>/<pod>/volumes/<volume>/...` holds, per volume:
- projected: serviceAccountToken (minted by the cluster, no trailing newline, refreshed at 80 %
  of its lifetime), secret and configMap items;
- secret / configMap: their keys (or `items`);
- emptyDir: an empty folder. Other volume types become empty folders too.

Files are written atomically with mode 0600 (folders 0700): they hold tokens and secrets.
Paths the pod spec names (`/var/run/secrets/azure/tokens/azure-identity-token`) stay as they are
in the spec; `remap()` turns a value that points into a mount path into the local path.
"""
from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REFRESH_AT = 0.8


@dataclass
class TokenProjection:
    volume: str
    path: str  # relative path in the volume
    audience: str
    expiration_seconds: int
    issued_at: int = 0
    expires_at: int = 0
    refresh_fraction: float = REFRESH_AT

    @property
    def refresh_at(self) -> float:
        return self.issued_at + self.refresh_fraction * (self.expires_at - self.issued_at)


Mint = Callable[[str, int], Any]  # (audience, expiration_seconds) -> tokens.MintedToken
Lookup = Callable[[str, str], dict[str, Any] | None]


class VolumeError(Exception):
    """A volume cannot be set up: event FailedMount with this message."""


def write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def _items(data: dict[str, bytes], items: list[dict[str, Any]] | None, what: str, name: str) -> dict[str, bytes]:
    if not items:
        return dict(data)
    out = {}
    for item in items:
        key = item.get("key", "")
        if key not in data:
            raise VolumeError(f'configmap references non-existent config key: {key}' if what == "configmap"
                              else f'references non-existent secret key: {key}')
        out[item.get("path") or key] = data[key]
    return out


def _secret_bytes(secret: dict[str, Any]) -> dict[str, bytes]:
    out = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
    out.update({k: v.encode() for k, v in (secret.get("stringData") or {}).items()})
    return out


def _configmap_bytes(cm: dict[str, Any]) -> dict[str, bytes]:
    out = {k: v.encode() for k, v in (cm.get("data") or {}).items()}
    out.update({k: base64.b64decode(v) for k, v in (cm.get("binaryData") or {}).items()})
    return out


@dataclass
class PodVolumes:
    root: Path
    namespace: str
    refresh_fraction: float = REFRESH_AT
    tokens: list[TokenProjection] = field(default_factory=list)

    def folder(self, volume: str) -> Path:
        return self.root / "volumes" / volume

    def setup(self, pod: dict[str, Any], mint: Mint, secrets: Lookup, configmaps: Lookup) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.tokens = []
        for volume in (pod.get("spec") or {}).get("volumes") or []:
            name = volume.get("name", "")
            folder = self.folder(name)
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if "projected" in volume:
                for source in (volume["projected"] or {}).get("sources") or []:
                    self._projected_source(name, folder, source, secrets, configmaps)
            elif "secret" in volume:
                ref = volume["secret"]
                self._write_object(folder, secrets, ref.get("secretName", ""), ref, "secret", _secret_bytes)
            elif "configMap" in volume:
                ref = volume["configMap"]
                self._write_object(folder, configmaps, ref.get("name", ""), ref, "configmap", _configmap_bytes)
        for projection in self.tokens:
            self.refresh(projection, mint)

    def _projected_source(self, volume: str, folder: Path, source: dict[str, Any], secrets: Lookup,
                          configmaps: Lookup) -> None:
        if "serviceAccountToken" in source:
            sat = source["serviceAccountToken"] or {}
            self.tokens.append(TokenProjection(volume, sat.get("path", "token"), sat.get("audience") or "",
                                               int(sat.get("expirationSeconds") or 3600),
                                               refresh_fraction=self.refresh_fraction))
        elif "secret" in source:
            ref = source["secret"]
            self._write_object(folder, secrets, ref.get("name", ""), ref, "secret", _secret_bytes)
        elif "configMap" in source:
            ref = source["configMap"]
            self._write_object(folder, configmaps, ref.get("name", ""), ref, "configmap", _configmap_bytes)
        elif "downwardAPI" in source:
            for item in (source["downwardAPI"] or {}).get("items") or []:
                field_path = (item.get("fieldRef") or {}).get("fieldPath", "")
                value = {"metadata.namespace": self.namespace}.get(field_path, "")
                write_private(folder / item.get("path", "value"), value.encode())

    def _write_object(self, folder: Path, lookup: Lookup, name: str, ref: dict[str, Any], what: str,
                      data_of: Callable[[dict[str, Any]], dict[str, bytes]]) -> None:
        obj = lookup(self.namespace, name)
        if obj is None:
            if ref.get("optional"):
                return
            raise VolumeError(f'{what} "{name}" not found')
        for path, data in _items(data_of(obj), ref.get("items"), what, name).items():
            write_private(folder / path, data)

    def refresh(self, projection: TokenProjection, mint: Mint) -> None:
        """Mint a new token for `projection` and write it (no trailing newline, mode 0600)."""
        minted = mint(projection.audience, projection.expiration_seconds)
        projection.issued_at, projection.expires_at = minted.issued_at, minted.expires_at
        write_private(self.folder(projection.volume) / projection.path, minted.token.encode())

    def mounts(self, container: dict[str, Any]) -> list[tuple[str, Path]]:
        """(mountPath in the spec, local folder) for the container, longest mount path first."""
        out = []
        for mount in container.get("volumeMounts") or []:
            local = self.folder(mount.get("name", ""))
            if mount.get("subPath"):
                local = local / mount["subPath"]
            out.append((mount.get("mountPath", "").rstrip("/") or "/", local))
        return sorted(out, key=lambda m: len(m[0]), reverse=True)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def remap(value: str, mounts: list[tuple[str, Path]]) -> str:
    """A path inside a mount (as the spec names it) turned into the local path."""
    for mount_path, local in mounts:
        if value == mount_path:
            return str(local)
        if value.startswith(mount_path + "/"):
            return str(local) + value[len(mount_path):]
    return value
