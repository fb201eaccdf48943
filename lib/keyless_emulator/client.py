"""The one client of the emulator's control API (`/_emulator/...`).

The runbook, the tests and the benchmarks all talk to a running emulator through this class,
so each route of the control API has exactly one caller-side spelling:

    control = ControlClient.of(info)          # info: an EmulatorInfo (runtime file)
    control.reset("before-you-begin")
    control.faults({"route": "federatedIdentityCredentials", "method": "PUT", "status": 500})
    mutating = control.mutating_requests()

It authenticates with the admin key of the runtime file and trusts only the emulator's CA.
Standard library only: it must stay cheap to import for the runbook's start-up.
"""
from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

PREFIX = "/_emulator"
ADMIN_HEADER = "x-emulator-admin-key"


def direct_opener(ca_cert: str) -> urllib.request.OpenerDirector:
    """An opener that trusts only the emulator's CA and never goes through a proxy from the environment:
    the emulator runs on this machine (or the room's), also on a shared LAN or VPN address NO_PROXY may
    not list, and the admin key must not travel through a proxy."""
    context = ssl.create_default_context(cafile=ca_cert)
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))


class ControlError(RuntimeError):
    """The control API answered with an error status; `status` and `body` say which."""

    def __init__(self, method: str, path: str, status: int, body: str):
        self.method, self.path, self.status, self.body = method, path, status, body
        super().__init__(f"{method} {path} answered {status}: {body[:500]}")


@dataclass
class ControlClient:
    url: str
    ca_cert: str
    admin_key: str
    timeout: float = 30.0

    @classmethod
    def of(cls, info: Any, timeout: float = 30.0) -> ControlClient:
        """From an EmulatorInfo (or anything with `url`, `ca_cert` and `admin_key`)."""
        return cls(info.url, info.ca_cert, info.admin_key, timeout)

    # -- the wire ----------------------------------------------------------------------
    def call(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        """One request to `/_emulator{path}`; the parsed JSON answer (None when empty)."""
        url = self.url.rstrip("/") + PREFIX + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={ADMIN_HEADER: self.admin_key})
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with direct_opener(self.ca_cert).open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as e:
            raise ControlError(method, PREFIX + path, e.code, e.read().decode("utf-8", "replace")) from None
        return json.loads(raw) if raw.strip() else None

    # -- one method per route ----------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self.call("GET", "/health")

    def reset(self, scenario: str = "before-you-begin", **options: Any) -> dict[str, Any]:
        return self.call("POST", "/reset", {"scenario": scenario, **options})

    def snapshot(self) -> dict[str, Any]:
        return self.call("GET", "/snapshot")

    def restore(self, snapshot: dict[str, Any]) -> None:
        self.call("PUT", "/snapshot", snapshot)

    def request_log(self, since: int | None = None) -> list[dict[str, Any]]:
        """The request log (every surface, the control API included)."""
        answer = self.call("GET", "/requests", query={"since": since} if since is not None else None)
        return list(answer["requests"])

    def client_requests(self, since: int | None = None) -> list[dict[str, Any]]:
        """What clients sent: the request log without the control API's own calls."""
        return [r for r in self.request_log(since) if not r["path"].startswith(PREFIX)]

    def mutating_requests(self, since: int | None = None) -> list[str]:
        """`METHOD path` of every logged request that changed (or would have changed) something."""
        return [f"{r['method']} {r['path']}" for r in self.client_requests(since) if r.get("mutating")]

    def openai_calls(self, since: int | None = None) -> dict[str, Any]:
        """Azure OpenAI's record of who called it and how: `{"calls": [...], "last_seq": N}`; each call names
        the account, deployment, `credential` (`entra-token` | `api-key`), principal id and client id (or
        which key), and the status — never the credential itself."""
        return dict(self.call("GET", "/openai-calls", query={"since": since} if since is not None else None))

    def clear_requests(self) -> None:
        self.call("DELETE", "/requests")

    def faults(self, *faults: dict[str, Any]) -> None:
        """Replace the fault list; with no argument, clear it."""
        if faults:
            self.call("PUT", "/faults", {"faults": list(faults)})
        else:
            self.call("DELETE", "/faults")

    def get_faults(self) -> list[dict[str, Any]]:
        return list(self.call("GET", "/faults")["faults"])

    def latency(self, profile: str | None = None, factor: float | None = None) -> dict[str, Any]:
        """Read the latency profile, or set it when `profile` or `factor` is given."""
        if profile is None and factor is None:
            return self.call("GET", "/latency")
        body: dict[str, Any] = {}
        if profile is not None:
            body["profile"] = profile
        if factor is not None:
            body["factor"] = factor
        return self.call("PUT", "/latency", body)

    def settings(self, **changes: Any) -> dict[str, Any]:
        """Read the behaviour settings, or change the named ones."""
        return self.call("PUT", "/settings", changes) if changes else self.call("GET", "/settings")

    def tenants(self) -> list[dict[str, Any]]:
        return list(self.call("GET", "/tenants")["tenants"])

    def add_tenant(self, name: str) -> dict[str, Any]:
        return self.call("POST", "/tenants", {"name": name})

    def remove_tenant(self, name: str) -> None:
        self.call("DELETE", f"/tenants/{urllib.parse.quote(name, safe='')}")

    def reset_tenant(self, name: str) -> dict[str, Any]:
        """One tenant back to before-you-begin (its credentials kept); other tenants are left alone."""
        return self.call("POST", f"/tenants/{urllib.parse.quote(name, safe='')}/reset", {})

    def quiet(self, scenario: str = "before-you-begin") -> None:
        """The state most tests start from: `scenario` loaded, no faults, instant operations, no
        propagation delays, an empty request log."""
        self.reset(scenario)
        self.latency("instant")
        self.settings(federation_propagation_seconds=0, role_propagation_seconds=0)
        self.faults()
        self.clear_requests()
