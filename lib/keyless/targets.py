"""The only module that knows whether the runbook talks to Azure or to the emulator.

It decides endpoints, credentials and CA trust, and hands the steps a `Clients` object of real
SDK clients. Steps never ask which target they run against.

- `azure`: `DefaultAzureCredential` (az login, environment, workload identity, ...), the
  subscription from the parameter or the only/default one, sovereign clouds by `cloud`.
  Nothing of the emulator is imported on this path. Outside Azure, DefaultAzureCredential
  also probes the managed-identity endpoint before developer credentials; that is harmless
  but slow when nothing answers — `az login` first, or set AZURE_TOKEN_CREDENTIALS=dev.
- `emulator`: reuse the running background emulator of the data folder (or start one), a
  `ClientSecretCredential` against its Entra endpoint, its CA trusted explicitly by every
  client (azure-* `connection_verify`, openai `http_client`, kubeconfig CA data).
"""
from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import KeylessError, explain
from .params import Parameters


@dataclass(frozen=True)
class Cloud:
    name: str
    resource_manager: str
    authority_host: str

    @property
    def arm_scope(self) -> str:
        return self.resource_manager.rstrip("/") + "/.default"


CLOUDS: dict[str, Cloud] = {
    "AzureCloud": Cloud("AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com"),
    "AzureUSGovernment": Cloud("AzureUSGovernment", "https://management.usgovcloudapi.net",
                               "https://login.microsoftonline.us"),
    "AzureChinaCloud": Cloud("AzureChinaCloud", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
}

SUBSCRIPTIONS_API = "2022-12-01"


@dataclass
class Clients:
    """Real SDK clients for one target, subscription and tenant (made lazily, kept for reuse)."""

    target: str
    credential: Any
    subscription_id: str
    tenant_id: str
    arm_url: str
    arm_scope: str
    verify: Any                              # CA file path (emulator) or True (system trust)
    cloud: Cloud
    emulator: Any = None                     # EmulatorInfo on the emulator target
    _kube: dict[str, Any] = field(default_factory=dict, repr=False)

    def _mgmt(self, cls: Any) -> Any:
        return cls(self.credential, self.subscription_id, base_url=self.arm_url, credential_scopes=[self.arm_scope],
                   connection_verify=self.verify)

    @cached_property
    def resources(self) -> Any:
        from azure.mgmt.resource.resources import ResourceManagementClient
        return self._mgmt(ResourceManagementClient)

    @cached_property
    def aks(self) -> Any:
        from azure.mgmt.containerservice import ContainerServiceClient
        return self._mgmt(ContainerServiceClient)

    @cached_property
    def msi(self) -> Any:
        from azure.mgmt.msi import ManagedServiceIdentityClient
        return self._mgmt(ManagedServiceIdentityClient)

    @cached_property
    def authorization(self) -> Any:
        from azure.mgmt.authorization import AuthorizationManagementClient
        return self._mgmt(AuthorizationManagementClient)

    @cached_property
    def cognitive(self) -> Any:
        from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
        return self._mgmt(CognitiveServicesManagementClient)

    def ssl_context(self) -> ssl.SSLContext:
        if isinstance(self.verify, str):
            return ssl.create_default_context(cafile=self.verify)
        return ssl.create_default_context()

    def openai_http_client(self) -> Any:
        """An httpx client for `openai.AzureOpenAI(http_client=...)` that trusts the target's CA."""
        import openai
        return openai.DefaultHttpxClient(verify=self.ssl_context())

    def describe(self) -> dict[str, str]:
        return {"target": self.target, "cloud": self.cloud.name, "subscription": self.subscription_id,
                "tenant": self.tenant_id, "resource manager": self.arm_url}


def _list_subscriptions(credential: Any, arm_url: str, scope: str, verify: Any) -> list[dict[str, Any]]:
    """GET /subscriptions through the resource client's pipeline (the subscription id is unused)."""
    from azure.core.rest import HttpRequest
    from azure.mgmt.resource.resources import ResourceManagementClient

    client = ResourceManagementClient(credential, "00000000-0000-0000-0000-000000000000", base_url=arm_url,
                                      credential_scopes=[scope], connection_verify=verify)
    items: list[dict[str, Any]] = []
    url: str | None = f"{arm_url.rstrip('/')}/subscriptions?api-version={SUBSCRIPTIONS_API}"
    while url:
        response = client.send_request(HttpRequest("GET", url))
        response.raise_for_status()
        body = response.json()
        items += body.get("value", [])
        url = body.get("nextLink")
    return items


def choose_subscription(subscriptions: list[dict[str, Any]], wanted: str, default: str = "") -> dict[str, Any]:
    enabled = [s for s in subscriptions if s.get("state", "Enabled") == "Enabled"]
    if wanted:
        for s in subscriptions:
            if s.get("subscriptionId", "").lower() == wanted.lower():
                return s
        raise KeylessError(f"subscription {wanted} is not visible to the signed-in identity",
                           "check the subscription parameter (az account list -o table)", code="SubscriptionNotFound")
    if default:
        for s in enabled:
            if s.get("subscriptionId", "").lower() == default.lower():
                return s
    if len(enabled) == 1:
        return enabled[0]
    if not enabled:
        raise KeylessError("the signed-in identity sees no enabled subscription",
                           "sign in with an account that has access (az login)", code="NoSubscription")
    names = ", ".join(f"{s.get('displayName')} ({s.get('subscriptionId')})" for s in enabled)
    raise KeylessError(f"several subscriptions are visible: {names}",
                       "set the subscription parameter (-p subscription <id>)", code="AmbiguousSubscription")


def connect_azure(params: Parameters) -> Clients:
    import os

    from azure.identity import DefaultAzureCredential

    cloud = CLOUDS[params.cloud]
    credential = DefaultAzureCredential(authority=cloud.authority_host)
    try:
        subs = _list_subscriptions(credential, cloud.resource_manager, cloud.arm_scope, True)
        chosen = choose_subscription(subs, params.subscription, os.environ.get("AZURE_SUBSCRIPTION_ID", ""))
    except KeylessError:
        raise
    except Exception as e:  # noqa: BLE001 - every SDK error becomes an explained one
        raise explain(e) from None
    return Clients("azure", credential, chosen["subscriptionId"], chosen.get("tenantId", ""), cloud.resource_manager,
                   cloud.arm_scope, True, cloud)


# ---- the emulator target (the only place the emulator's public API is used) ----------------------

def emulator_info(home: Path, start: bool = True) -> Any:
    """The background emulator of this data folder: reused if running, else started (if `start`)."""
    from keyless_emulator import EmulatorConfig, EmulatorNotRunning, attach, start_background

    try:
        return attach(home)
    except EmulatorNotRunning:
        if not start:
            raise KeylessError(f"no emulator is running for the data folder {home}",
                               "start it with `python -m keyless_emulator start`", code="EmulatorNotRunning") from None
    return start_background(EmulatorConfig(home=home))


def stop_emulator(home: Path) -> bool:
    """Stop the background emulator of this data folder (False if none was running)."""
    from keyless_emulator import stop

    return stop(home)


def emulator_control(info: Any) -> Any:
    """The emulator's control API client (`/_emulator/...`), authenticated with its admin key."""
    from keyless_emulator import ControlClient

    return ControlClient.of(info)


def reset_emulator(info: Any, scenario: str = "before-you-begin") -> None:
    emulator_control(info).reset(scenario)


def connect_emulator(params: Parameters, info: Any = None) -> Clients:
    from azure.identity import ClientSecretCredential

    info = info or emulator_info(params.home)
    credential = ClientSecretCredential(info.tenant_id, info.client_id, info.client_secret, authority=info.url,
                                        disable_instance_discovery=True, connection_verify=info.ca_cert)
    cloud = CLOUDS["AzureCloud"]
    subscription = params.subscription or info.subscription_id
    return Clients("emulator", credential, subscription, info.tenant_id, info.url, cloud.arm_scope, info.ca_cert,
                   cloud, emulator=info)


def connect(params: Parameters, emulator: Any = None) -> Clients:
    """Clients for the parameters' target. `emulator` may pass an EmulatorInfo already at hand."""
    if params.target == "emulator":
        return connect_emulator(params, emulator)
    return connect_azure(params)
