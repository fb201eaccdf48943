"""One secret scanner for everything the tests commit or produce: the committed notebooks, the
executed notebooks, reports and HTML of `python -m keyless run`, state files and the emulator's
log. A finding names the file and the kind of secret, never the secret itself.

What counts as a secret:
- a JWT (`eyJ<header>.eyJ<claims>`): access tokens, ID tokens, service account tokens;
- an Entra client secret by its shape (`xxx8Q~` followed by 31-34 characters);
- the exact values handed in: the operator's client secret and the emulator's admin key (from
  its runtime file) and every Azure OpenAI account key (from listKeys), see `emulator_secrets`.
"""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}")
CLIENT_SECRET = re.compile(r"[A-Za-z0-9_.~-]{3}8Q~[A-Za-z0-9_.~-]{31,34}")
SHAPES = {"a JWT": JWT, "an Entra client secret": CLIENT_SECRET}


def jwt_shaped(claims: dict[str, Any]) -> str:
    """A JWT-shaped (unsigned, worthless) string made at run time, for tests of the scanner and of
    scrubbing — so no token-shaped literal is ever committed."""
    def part(value: Any) -> str:
        raw = value if isinstance(value, bytes) else json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return ".".join([part({"alg": "RS256"}), part(claims), part(b"signature")])


def emulator_secrets(info: Any) -> list[str]:
    """The secrets a run against this emulator could leak: the operator's client secret and the
    admin key (runtime file), and both keys of every Azure OpenAI account of the subscription."""
    from azure.identity import ClientSecretCredential
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    credential = ClientSecretCredential(info.tenant_id, info.client_id, info.client_secret, authority=info.url,
                                        disable_instance_discovery=True, connection_verify=info.ca_cert)
    cognitive = CognitiveServicesManagementClient(credential, info.subscription_id, base_url=info.url,
                                                  connection_verify=info.ca_cert)
    found = [info.client_secret, info.admin_key]
    for account in cognitive.accounts.list():
        group = account.id.split("/")[4]
        keys = cognitive.accounts.list_keys(group, account.name)
        found += [keys.key1, keys.key2]
    return [s for s in found if s]


def files_under(paths: Iterable[Path]) -> list[Path]:
    """Every file of the given files and folders (folders walked recursively); missing ones skipped."""
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_file():
            out.append(path)
        elif path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.is_file())
    return out


def text_findings(label: str, text: str, secrets: Iterable[str] = ()) -> list[str]:
    """'<label>: <kind>' for every kind of secret in `text` (empty when clean)."""
    known = [s for s in secrets if s]
    found = [f"{label}: {kind}" for kind, shape in SHAPES.items() if shape.search(text)]
    return found + [f"{label}: a known secret (#{i + 1} of {len(known)})" for i, s in enumerate(known) if s in text]


def findings(paths: Iterable[Path], secrets: Iterable[str] = ()) -> list[str]:
    """'<file>: <kind>' for every secret found in the files (empty when clean). A file removed between listing
    and reading (a deleted pod's log, the kubelet cleaning up after a cluster's deletion) holds nothing."""
    known = list(secrets)
    return [f for path in files_under(paths) if (text := _read(path)) is not None
            for f in text_findings(str(path), text, known)]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return None


def pod_logs(home: Path) -> list[Path]:
    """The emulator kubelet's container logs (`pods/.../logs/<container>/<n>.log`); the pods' token
    volumes are left out: a projected service account token there is the point of the feature."""
    return sorted((home / "pods").glob("**/logs/**/*.log"))


def assert_no_secret(paths: Iterable[Path], secrets: Iterable[str] = ()) -> int:
    """Fail naming every file that holds a secret; returns how many files were scanned."""
    paths = list(paths)
    found = findings(paths, secrets)
    assert not found, "secrets found:\n" + "\n".join(found)
    return len(files_under(paths))
