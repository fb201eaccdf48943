"""Clouds, as their Resource Manager metadata document describes them.

Every Azure cloud publishes `GET <Resource Manager>/metadata/endpoints?api-version=2022-09-01`: the
document `az cloud register` reads and Azure Stack Hub serves. It names the Resource Manager URL,
the token audiences Resource Manager accepts (not derived from its URL: the public cloud's ARM lives
at management.azure.com but its first audience is https://management.core.windows.net/), the Microsoft
Entra authority host, Microsoft Graph and the DNS suffixes. The `cloud` parameter is either the name
of a public cloud, whose document is kept here, or the URL of such a document (a private cloud, Azure
Stack Hub, the emulator): one parser reads both, so a named cloud and a custom one take one path.

Nothing here sends a credential; `fetch` is the only network call (a plain GET). Problems are
`CloudError`s with a readable reason; the caller names the parameter.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

METADATA_PATH = "/metadata/endpoints"
METADATA_API_VERSION = "2022-09-01"

# Authority hosts MSAL knows without asking; for any other host instance discovery must be off, or
# MSAL would ask login.microsoftonline.com to validate it (traffic off the machine, and a failure).
KNOWN_AUTHORITY_HOSTS = frozenset({
    "login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net",
    "login.microsoftonline.us", "login.usgovcloudapi.net", "login-us.microsoftonline.com",
    "login.chinacloudapi.cn", "login.partner.microsoftonline.cn",
})


class CloudError(ValueError):
    """A cloud name, metadata URL or metadata document the runbook refuses; says why."""


@dataclass(frozen=True)
class Cloud:
    name: str
    resource_manager: str                    # Resource Manager's URL, without a trailing slash
    arm_audience: str                        # the token audience Resource Manager accepts (first listed)
    authority_host: str                      # Microsoft Entra, e.g. https://login.microsoftonline.com
    microsoft_graph: str = ""                # Microsoft Graph's resource id
    suffixes: Mapping[str, str] = field(default_factory=dict)
    source: str = ""                         # the metadata URL it was read from, or "built in"

    @property
    def arm_scope(self) -> str:
        """The scope azure-identity asks for: audience + "/.default" (a trailing slash doubles, as az does)."""
        return self.arm_audience + "/.default"

    @property
    def known_authority(self) -> bool:
        return is_known_authority(self.authority_host)


def is_known_authority(authority: str) -> bool:
    return (urlsplit(authority).hostname or "").lower() in KNOWN_AUTHORITY_HOSTS


# The public clouds' documents (api-version 2022-09-01), trimmed to what the runbook reads.
PUBLIC_DOCUMENTS: dict[str, dict[str, Any]] = {
    "AzureCloud": {
        "name": "AzureCloud", "portal": "https://portal.azure.com",
        "resourceManager": "https://management.azure.com/",
        "authentication": {"loginEndpoint": "https://login.microsoftonline.com",
                           "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
                           "tenant": "common", "identityProvider": "AAD"},
        "graph": "https://graph.windows.net/", "graphAudience": "https://graph.windows.net/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "suffixes": {"acrLoginServer": "azurecr.io", "keyVaultDns": "vault.azure.net", "storage": "core.windows.net",
                     "sqlServerHostname": "database.windows.net"},
    },
    "AzureUSGovernment": {
        "name": "AzureUSGovernment", "portal": "https://portal.azure.us",
        "resourceManager": "https://management.usgovcloudapi.net",
        "authentication": {"loginEndpoint": "https://login.microsoftonline.us",
                           "audiences": ["https://management.core.usgovcloudapi.net",
                                         "https://management.usgovcloudapi.net"],
                           "tenant": "common", "identityProvider": "AAD"},
        "graph": "https://graph.windows.net", "graphAudience": "https://graph.windows.net",
        "microsoftGraphResourceId": "https://graph.microsoft.us/",
        "suffixes": {"acrLoginServer": "azurecr.us", "keyVaultDns": "vault.usgovcloudapi.net",
                     "storage": "core.usgovcloudapi.net", "sqlServerHostname": "database.usgovcloudapi.net"},
    },
    "AzureChinaCloud": {
        "name": "AzureChinaCloud", "portal": "https://portal.azure.cn",
        "resourceManager": "https://management.chinacloudapi.cn",
        "authentication": {"loginEndpoint": "https://login.chinacloudapi.cn",
                           "audiences": ["https://management.core.chinacloudapi.cn",
                                         "https://management.chinacloudapi.cn"],
                           "tenant": "common", "identityProvider": "AAD"},
        "graph": "https://graph.chinacloudapi.cn", "graphAudience": "https://graph.chinacloudapi.cn",
        "microsoftGraphResourceId": "https://microsoftgraph.chinacloudapi.cn",
        "suffixes": {"acrLoginServer": "azurecr.cn", "keyVaultDns": "vault.azure.cn",
                     "storage": "core.chinacloudapi.cn", "sqlServerHostname": "database.chinacloudapi.cn"},
    },
}
PUBLIC_CLOUDS = tuple(PUBLIC_DOCUMENTS)


def metadata_url_for(resource_manager: str) -> str:
    """The metadata URL of a Resource Manager base URL."""
    return f"{resource_manager.rstrip('/')}{METADATA_PATH}?api-version={METADATA_API_VERSION}"


def _https_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        return "must be an https:// URL (tokens are never sent over plain HTTP)"
    if not parts.hostname:
        return "has no host"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    try:
        _ = parts.port  # urlsplit checks the port only when it is read
    except ValueError:
        return "has an invalid port"
    return None


def cloud_problem(value: Any) -> str | None:
    """Why `value` is not a usable `cloud` parameter (None: it is). Syntax only, nothing is sent."""
    expected = (f"one of {', '.join(PUBLIC_CLOUDS)}, or the URL of a Resource Manager metadata endpoint such as "
                f"https://management.example.com{METADATA_PATH}?api-version={METADATA_API_VERSION}")
    if not isinstance(value, str) or not value:
        return f"must be {expected}"
    if value in PUBLIC_DOCUMENTS:
        return None
    if "://" not in value:
        return f"must be {expected}"
    problem = _https_problem(value)
    if problem:
        return f"the metadata URL {problem}; expected {expected}"
    parts = urlsplit(value)
    if not parts.path.rstrip("/").endswith(METADATA_PATH):
        return f"the metadata URL's path must end with {METADATA_PATH}; expected {expected}"
    if parts.fragment:
        return f"the metadata URL must not have a #fragment; expected {expected}"
    return None


def normalized_metadata_url(url: str) -> str:
    """The URL with `api-version=2022-09-01` added when it names none (older versions answer a list)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    if "api-version" in query:
        return url
    pairs = [(k, v) for k, values in query.items() for v in values] + [("api-version", METADATA_API_VERSION)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), ""))


def _text(doc: Mapping[str, Any], key: str, where: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CloudError(f"the metadata document has no {where}{key}")
    return value.strip()


def _url(doc: Mapping[str, Any], key: str, where: str = "") -> str:
    value = _text(doc, key, where)
    problem = _https_problem(value)
    if problem:
        raise CloudError(f"the metadata document's {where}{key} {value!r} {problem}")
    return value


def parse(document: Any, source: str = "built in") -> Cloud:
    """A Cloud from a metadata document (api-version 2022-09-01: one JSON object for one cloud)."""
    if isinstance(document, list):
        raise CloudError("the metadata document lists several clouds (an api-version older than "
                         f"{METADATA_API_VERSION}); use ?api-version={METADATA_API_VERSION}")
    if not isinstance(document, dict):
        raise CloudError("the metadata document is not a JSON object")
    auth = document.get("authentication")
    if not isinstance(auth, dict):
        raise CloudError("the metadata document has no authentication section")
    authority = _url(auth, "loginEndpoint", "authentication.").rstrip("/")
    audiences = auth.get("audiences")
    if (not isinstance(audiences, list) or not audiences
            or not all(isinstance(a, str) and a.strip() for a in audiences)):
        raise CloudError("the metadata document's authentication.audiences must list Resource Manager's token "
                         "audiences")
    if "resourceManager" in document:
        resource_manager = _url(document, "resourceManager")
    elif source.startswith("https://"):
        # Azure Stack Hub's older documents leave it out: the document is served by Resource Manager itself
        parts = urlsplit(source)
        resource_manager = f"https://{parts.netloc}{parts.path.rstrip('/')[: -len(METADATA_PATH)]}"
    else:
        raise CloudError("the metadata document has no resourceManager")
    graph = document.get("microsoftGraphResourceId")
    suffixes = document.get("suffixes") or {}
    if not isinstance(suffixes, dict):
        raise CloudError("the metadata document's suffixes must be an object")
    name = document.get("name")
    return Cloud(name=name.strip() if isinstance(name, str) and name.strip() else urlsplit(resource_manager).netloc,
                 resource_manager=resource_manager.rstrip("/"), arm_audience=audiences[0].strip(),
                 authority_host=authority, microsoft_graph=graph if isinstance(graph, str) else "",
                 suffixes={str(k): str(v) for k, v in suffixes.items()}, source=source)


def fetch(url: str, verify: Any = True, timeout: float = 15.0) -> Cloud:
    """Read a cloud from its metadata endpoint (a plain GET; no credential is sent).

    `verify` is a CA bundle path or True (the system's trust, or REQUESTS_CA_BUNDLE)."""
    import requests

    url = normalized_metadata_url(url)
    try:
        response = requests.get(url, verify=verify, timeout=timeout, headers={"Accept": "application/json"})
    except requests.exceptions.SSLError:
        raise CloudError(f"the metadata endpoint {url} presented a certificate this machine does not trust; "
                         "point REQUESTS_CA_BUNDLE at a bundle holding its CA") from None
    except requests.RequestException as e:
        reason = type(e).__name__
        raise CloudError(f"the metadata endpoint {url} could not be reached ({reason}); check the URL and the "
                         "network") from None
    if response.status_code != 200:
        raise CloudError(f"the metadata endpoint {url} answered HTTP {response.status_code}; check the URL")
    try:
        document = response.json()
    except ValueError:
        raise CloudError(f"the metadata endpoint {url} did not answer JSON; check the URL") from None
    return parse(document, source=url)


def resolve(value: str, verify: Any = True) -> Cloud:
    """The cloud a `cloud` parameter names: a public cloud's kept document, else its metadata endpoint."""
    problem = cloud_problem(value)
    if problem:
        raise CloudError(problem)
    if value in PUBLIC_DOCUMENTS:
        return parse(PUBLIC_DOCUMENTS[value])
    return fetch(value, verify)
