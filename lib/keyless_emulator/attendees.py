"""Workshop attendees: one tenant each, one profile folder each, one printable credential sheet.

    <home>/attendees/<name>/profile.json   URL, CA, tenant, subscription, client id and secret (0600)
    <home>/attendees/<name>/ca.pem         the emulator's CA, so the profile works on another machine
    <home>/attendees/credentials.html      every attendee's card, one per printed page (0600)

The profile holds the attendee's own operator credentials and never the admin key: with it an
attendee signs in to their own tenant like any service principal (as `python -m keyless_emulator
env` does for the emulator's operator) and reaches nothing of another tenant nor the control API.
The profile folder is also the attendee's data folder for the runbook (its state file and
kubeconfig land there), so attendees sharing one machine never overwrite each other's files.

The facilitator's side (adding, listing, removing, resetting) goes through the control API with
the admin key of the runtime file (`ControlClient`); nothing here talks to the state directly.
"""
from __future__ import annotations

import html
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import runtime

FOLDER = "attendees"
PROFILE = "profile.json"
SHEET = "credentials.html"


class ProfileNotFound(LookupError):
    pass


@dataclass
class AttendeeProfile:
    name: str
    url: str
    ca_cert: str          # the CA file beside the profile
    tenant_id: str
    subscription_id: str
    client_id: str
    client_secret: str

    def env(self) -> dict[str, str]:
        """What `python -m keyless_emulator env` exports, for this attendee's service principal."""
        return runtime.environment(self.url, self.ca_cert, self.tenant_id, self.subscription_id, self.client_id,
                                   self.client_secret)


def folder(home: Path, name: str) -> Path:
    return Path(home) / FOLDER / name


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def write_profile(home: Path, url: str, ca_cert: Path, created: dict[str, Any]) -> AttendeeProfile:
    """The profile of a tenant just created (`created`: what POST /_emulator/tenants answered)."""
    where = folder(home, created["name"])
    where.mkdir(parents=True, exist_ok=True)
    os.chmod(where, 0o700)
    shutil.copyfile(ca_cert, where / "ca.pem")
    profile = AttendeeProfile(name=created["name"], url=url, ca_cert=str(where / "ca.pem"),
                              tenant_id=created["tenant_id"], subscription_id=created["subscription_id"],
                              client_id=created["client_id"], client_secret=created["client_secret"])
    data = {**asdict(profile), "ca_cert": "ca.pem"}  # relative: the folder may be copied elsewhere
    _write_private(where / PROFILE, json.dumps(data, indent=2) + "\n")
    return profile


def read_profile(where: Path) -> AttendeeProfile:
    """The profile in an attendee's folder; its CA path made absolute against that folder."""
    path = Path(where) / PROFILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ProfileNotFound(f"no attendee profile at {path}; the facilitator creates it with "
                              "`python -m keyless_emulator attendees add NAME`") from None
    except ValueError as e:
        raise ProfileNotFound(f"the attendee profile {path} is unreadable ({e}); ask the facilitator for a new "
                              "one") from None
    fields = {k: data.get(k, "") for k in AttendeeProfile.__dataclass_fields__}
    fields["ca_cert"] = str((Path(where) / str(fields["ca_cert"] or "ca.pem")).resolve())
    return AttendeeProfile(**fields)


def profiles(home: Path) -> list[AttendeeProfile]:
    base = Path(home) / FOLDER
    if not base.is_dir():
        return []
    return [read_profile(p) for p in sorted(base.iterdir()) if (p / PROFILE).is_file()]


def remove_profile(home: Path, name: str) -> bool:
    where = folder(home, name)
    if not where.is_dir():
        return False
    shutil.rmtree(where)
    return True


_SHEET_STYLE = """body{font-family:system-ui,sans-serif;margin:2em}
.card{border:1px solid #888;padding:1.2em;margin-bottom:2em;page-break-after:always;break-after:page}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace}
td{padding:.2em .8em .2em 0;vertical-align:top}td:first-child{color:#555}"""


def sheet_html(items: list[AttendeeProfile]) -> str:
    """One card per attendee (a printed page each): where to connect, and the commands to run."""
    cards = []
    for p in items:
        rows = [("emulator URL", p.url), ("tenant", p.tenant_id), ("subscription", p.subscription_id),
                ("client id", p.client_id), ("client secret", p.client_secret)]
        table = "".join(f"<tr><td>{html.escape(k)}</td><td><code>{html.escape(v)}</code></td></tr>" for k, v in rows)
        name = html.escape(p.name)
        cards.append(
            f'<section class="card"><h2>keyless workshop: {name}</h2><table>{table}</table>'
            "<p>On the workshop machine, run the whole runbook as yourself:</p>"
            f"<pre>python -m keyless run --attendee {name}</pre>"
            "<p>or open the notebooks in JupyterLab as yourself:</p>"
            f"<pre>KEYLESS_ATTENDEE={name} jupyter lab notebooks/</pre>"
            "<p>Keep this page to yourself: the secret signs in as your tenant's operator.</p></section>")
    body = "\n".join(cards) or "<p>No attendees yet.</p>"
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>keyless workshop credentials'
            f"</title><style>{_SHEET_STYLE}</style></head><body>\n{body}\n</body></html>\n")


def write_sheet(home: Path) -> Path:
    path = Path(home) / FOLDER / SHEET
    _write_private(path, sheet_html(profiles(home)))
    return path
