"""What the emulator serves without credentials, and the warning a shared server prints when it starts.

Every route demands credentials except the few below, each public for the reason given: Azure, Entra and
AKS serve them anonymously too (clients read them before they hold a token, or they are how a token is
got), or they hold no data. On a workshop's shared server (`--host` a LAN or VPN address) this is all
that anyone who reaches the address gets without credentials; `tests/emulator/test_shared_host.py`
checks the list against the routes, that the rest refuse an anonymous caller on such an address, and
that README.md's table of them says the same. The facilitator's dashboard is not among them: a browser
signs in to it with HTTP Basic (control/security.py).

Nothing else the emulator runs listens on the shared address: the store apps' LoadBalancer and
NodePort listeners and the pods' own ports are on loopback addresses (kubelet/loadbalancer.py,
kubelet/network.py, kubelet/pods.py), reachable from other machines only through an API server's
`services/.../proxy`, which demands the attendee's cluster credentials.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from .config import is_loopback
from .routing import AUTH_NONE, AUTH_OWN, Route

PUBLIC_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/{tenant}/oauth2/v2.0/token"): "Entra's token endpoint: the client proves itself in the request "
                                            "(its secret or a federated assertion)",
    ("POST", "/{tenant}/oauth2/token"): "Entra's token endpoint (v1), as above",
    ("GET", "/{tenant}/v2.0/.well-known/openid-configuration"): "Entra's sign-in metadata, public on Entra",
    ("GET", "/{tenant}/.well-known/openid-configuration"): "Entra's sign-in metadata (v1), public on Entra",
    ("GET", "/{tenant}/discovery/v2.0/keys"): "Entra's token signing keys, public on Entra",
    ("GET", "/{tenant}/discovery/keys"): "Entra's token signing keys (v1), public on Entra",
    ("GET", "/common/discovery/instance"): "Entra's instance discovery, public on Entra",
    ("GET", "/metadata/endpoints"): "the cloud's endpoints (Resource Manager metadata), public on Azure",
    ("GET", "//metadata/endpoints"): "the same, as az asks for it when given a URL with a trailing slash",
    ("GET", "/oidc/{location}/{tenant}/{issuer}/.well-known/openid-configuration"):
        "a cluster's OIDC issuer discovery document, public on AKS (Entra reads it to check a pod's token)",
    ("GET", "/oidc/{location}/{tenant}/{issuer}/openid/v1/jwks"): "a cluster's OIDC issuer signing keys, public "
                                                                  "on AKS",
    ("GET", "/k8s/{cluster}/version"): "the API server's version, which AKS lets system:unauthenticated read "
                                       "(system:public-info-viewer)",
    ("GET", "/k8s/{cluster}/healthz"): "the API server's health, as above",
    ("GET", "/k8s/{cluster}/livez"): "the API server's health, as above",
    ("GET", "/k8s/{cluster}/readyz"): "the API server's health, as above",
    ("GET", "/_imds/metadata/identity/oauth2/token"): "what a pod sees as IMDS; it answers 'Identity not found' to "
                                                      "everyone (the node has no identity)",
    ("GET", "/_emulator/health"): "the emulator's liveness: its URL, scenario and latency profile, nothing of any "
                                  "tenant",
}


def public_routes(routes: list[Route]) -> list[Route]:
    """The routes served to a caller without credentials (the chain authenticates none of them)."""
    return [r for r in routes if r.auth in (AUTH_NONE, AUTH_OWN)]


def shared_warning(url: str, ca_cert: str, home: str) -> str:
    """What `start`/`serve` print when the emulator listens on an address chosen for others (`--host`)."""
    host = urlsplit(url).hostname or ""
    who = "users of this machine: a loopback address" if is_loopback(host) else "other machines: your LAN or VPN"
    return "\n".join([
        f"WARNING: this emulator serves {url} to anyone who can reach {host} ({who}).",
        "  Credentials are required for Resource Manager, Azure OpenAI, Microsoft Graph, the clusters' API",
        "  servers, the control API and the dashboard (the admin key or this emulator's operator token: keep",
        "  emulator.json to yourself). Served without credentials, as on Azure: sign-in (each client proves",
        "  itself), discovery documents and signing keys, the cloud metadata, API server version and health;",
        "  and the emulator's health.",
        f"  The dashboard: open {url}/_emulator/dashboard; the browser asks for a user name (any) and a",
        f"  password: the admin key, which `python -m keyless_emulator --home {home} dashboard --password` prints.",
        f"  Give each attendee their own folder only ({home}/attendees/<name>: their profile and the CA",
        f"  {Path(ca_cert).name} that verifies this address), or their card from {home}/attendees/credentials.html.",
        "  The store's pages (LoadBalancer addresses 127.x.y.z) open on this machine only; elsewhere through",
        "  `kubectl proxy --append-server-path` (see docs/workshops.md). Attendees behind a proxy add",
        f"  {host} to NO_PROXY.",
    ])
