"""The only module that knows whether the runbook talks to Azure or to the emulator — and all it
knows is where the cloud's metadata and the credentials come from.

One code path for every cloud (`connect_cloud`): read the cloud from its Resource Manager metadata
document (`keyless.clouds`), sign in with the credentials of an environment mapping
(`keyless.signin`), list the subscriptions the identity sees and choose one, then hand the steps a
`Clients` object of real SDK clients. Steps never ask which target they run against.

- `azure`: the `cloud` parameter (a public cloud's name or a metadata URL) and the process
  environment: `az login`, a service principal or workload identity federation through AZURE_*,
  trust through REQUESTS_CA_BUNDLE when set. Nothing of the emulator is imported on this path.
- `emulator`: start or reuse the background emulator of the data folder, then the same path with the
  emulator's metadata endpoint and the environment `python -m keyless_emulator env` exports (its
  operator's service principal, its CA bundle): what `make run` proves is what Azure users run.
- `emulator` as a workshop attendee (`KEYLESS_ATTENDEE=NAME`, `python -m keyless run --attendee NAME`):
  the data folder becomes `<data folder>/attendees/NAME`, whose profile (written by `python -m
  keyless_emulator attendees add NAME`) gives the emulator's URL, its CA and the attendee's own service
  principal; the same path again, with no admin key anywhere in the runbook's reach.
"""
from __future__ import annotations

import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from . import retry, signin
from .clouds import Cloud, CloudError, is_known_authority, metadata_url_for, resolve
from .errors import KeylessError, explain
from .params import ParameterError, Parameters

SUBSCRIPTIONS_API = "2022-12-01"
# azure-core retries Resource Manager GET/PUT/DELETE itself (429 after Retry-After, 5xx, transport
# errors); its default of 3 retries per cause gives up on a short burst of mixed faults, so the
# bounds are set here, with backoff that starts small. What it does not retry (a long-running
# operation's first answer, POST actions, the body of a raw send_request) goes through keyless.retry.
ARM_RETRY: dict[str, Any] = {"retry_total": 8, "retry_status": 6, "retry_read": 6, "retry_connect": 6,
                             "retry_backoff_factor": 0.4, "retry_backoff_max": 16}


@dataclass
class Clients:
    """Real SDK clients for one target, subscription and tenant (made lazily, kept for reuse)."""

    target: str
    credential: Any
    subscription_id: str
    tenant_id: str
    arm_url: str
    arm_scope: str
    verify: Any                              # a CA bundle path (REQUESTS_CA_BUNDLE) or True (system trust)
    cloud: Cloud
    emulator: Any = None                     # EmulatorInfo on the emulator target
    _kube: dict[str, Any] = field(default_factory=dict, repr=False)

    def _mgmt(self, cls: Any) -> Any:
        return cls(self.credential, self.subscription_id, base_url=self.arm_url, credential_scopes=[self.arm_scope],
                   connection_verify=self.verify, **ARM_RETRY)

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

    def data_plane_record(self) -> DataPlaneRecord | None:
        """Azure OpenAI's own record of who called it and how, where the target keeps one the runbook can
        read: the emulator's (its control API). On Azure the equivalent is the account's diagnostic logs,
        which need a Log Analytics workspace the article does not set up: None, and the verification proves
        what it can from what it reads instead (the key absent, the account's disableLocalAuth). None too for
        a workshop attendee, whose credentials do not reach the emulator's control API."""
        if self.emulator is None or not getattr(self.emulator, "admin_key", None):
            # Azure, or a workshop attendee on the emulator: an attendee's credentials reach nothing of
            # the control API (where the record is read), so their verification proves what Azure's does.
            return None
        return DataPlaneRecord(emulator_control(self.emulator))

    def describe(self) -> dict[str, str]:
        return {"target": self.target, "cloud": self.cloud.name, "subscription": self.subscription_id,
                "tenant": self.tenant_id, "resource manager": self.arm_url}


def _get_json(client: Any, url: str) -> Any:
    """A raw GET through a management client's pipeline; its body is read after azure-core's retry
    policy has finished, so a dropped body is retried here (a GET changes nothing)."""
    from azure.core.rest import HttpRequest

    def get() -> Any:
        response = client.send_request(HttpRequest("GET", url))
        response.raise_for_status()
        return response.json()

    return retry.call(get, what=f"GET {url.split('?')[0]}")


@dataclass
class DataPlaneRecord:
    """Read-only view of the emulator's Azure OpenAI call record: `mark()` before a call, `calls_since(mark)`
    after it; each call names the account, `credential` (`entra-token` | `api-key`), principal and client id."""

    control: Any

    def mark(self) -> int:
        return int(self.control.openai_calls()["last_seq"])

    def calls_since(self, mark: int) -> list[dict[str, Any]]:
        return list(self.control.openai_calls(since=mark)["calls"])


def _list_subscriptions(credential: Any, arm_url: str, scope: str, verify: Any) -> list[dict[str, Any]]:
    """GET /subscriptions through the resource client's pipeline (the subscription id is unused)."""
    from azure.mgmt.resource.resources import ResourceManagementClient

    client = ResourceManagementClient(credential, "00000000-0000-0000-0000-000000000000", base_url=arm_url,
                                      credential_scopes=[scope], connection_verify=verify, **ARM_RETRY)
    items: list[dict[str, Any]] = []
    url: str | None = f"{arm_url.rstrip('/')}/subscriptions?api-version={SUBSCRIPTIONS_API}"
    while url:
        body = _get_json(client, url)
        items += body.get("value", [])
        url = body.get("nextLink")
    return items


def subscription_locations(clients: Clients) -> list[str]:
    """The names `GET /subscriptions/{id}/locations` lists (what `az account list-locations` shows)."""
    url = (f"{clients.arm_url.rstrip('/')}/subscriptions/{clients.subscription_id}/locations"
           f"?api-version={SUBSCRIPTIONS_API}")
    return [str(v["name"]) for v in _get_json(clients.resources, url).get("value", []) if v.get("name")]


def check_location(clients: Clients, location: str) -> None:
    """Refuse a `location` the subscription does not offer, before anything is created there (Azure
    itself would refuse the first write with LocationNotAvailableForResourceType, half-way through)."""
    try:
        names = subscription_locations(clients)
    except Exception as e:  # noqa: BLE001 - every SDK error becomes an explained one
        raise explain(e) from None
    if location.lower() not in {n.lower() for n in names}:
        some = ", ".join(sorted(names)[:8])
        raise ParameterError("location", location, f"must be one of the subscription's locations (az account "
                                                   f"list-locations -o table), e.g. {some} ({len(names)} in all)")


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


def resolve_cloud(value: str, environment: Mapping[str, str]) -> Cloud:
    """The cloud the `cloud` parameter names, read before anything else is sent; refusals name the parameter."""
    try:
        return resolve(value, trust(environment))
    except CloudError as e:
        raise ParameterError("cloud", value, str(e)) from None


def trust(environment: Mapping[str, str]) -> Any:
    """The CA bundle every client verifies with: REQUESTS_CA_BUNDLE when the environment sets it, else the
    system's (True). azure-* clients read it themselves; here it also reaches openai and the metadata GET."""
    return environment.get("REQUESTS_CA_BUNDLE") or True


def authority(cloud: Cloud, environment: Mapping[str, str]) -> str:
    """Where to sign in: AZURE_AUTHORITY_HOST if set (as azure-identity honours it), else the cloud's login
    endpoint. The two must agree: a credential is never sent to one cloud for use in another."""
    chosen = signin.authority_of(environment, cloud.authority_host)
    if chosen.lower() != cloud.authority_host.rstrip("/").lower():
        rm = environment.get("AZURE_RESOURCE_MANAGER_URL", "")
        hint = (f"; to use that environment's cloud: -p cloud {metadata_url_for(rm)}" if rm else "")
        raise ParameterError("cloud", cloud.source if cloud.source.startswith("https://") else cloud.name,
                             f"the cloud {cloud.name} signs in at {cloud.authority_host}, but AZURE_AUTHORITY_HOST "
                             f"is {chosen}: name the cloud that authority belongs to, or unset AZURE_AUTHORITY_HOST"
                             + hint)
    return chosen


def check_cloud(params: Parameters, environment: Mapping[str, str] | None = None) -> Cloud:
    """The azure target's cloud and authority, checked before anything else runs (nothing is signed in)."""
    environment = os.environ if environment is None else environment
    cloud = resolve_cloud(params.cloud, environment)
    authority(cloud, environment)
    return cloud


def connect_cloud(target: str, params: Parameters, cloud_value: str, environment: Mapping[str, str],
                  emulator: Any = None) -> Clients:
    """The one path: the cloud from its metadata, the environment's credentials, the subscription."""
    cloud = resolve_cloud(cloud_value, environment)
    where = authority(cloud, environment)
    verify = trust(environment)
    credential = signin.credential(environment, where, verify, known_authority=is_known_authority(where))
    try:
        subs = _list_subscriptions(credential, cloud.resource_manager, cloud.arm_scope, verify)
        chosen = choose_subscription(subs, params.subscription, environment.get("AZURE_SUBSCRIPTION_ID", ""))
    except KeylessError:
        raise
    except Exception as e:  # noqa: BLE001 - every SDK error becomes an explained one
        raise explain(e) from None
    clients = Clients(target, credential, chosen["subscriptionId"], chosen.get("tenantId", ""),
                      cloud.resource_manager, cloud.arm_scope, verify, cloud, emulator=emulator)
    if params.location:
        check_location(clients, params.location)
    return clients


def connect_azure(params: Parameters, environment: Mapping[str, str] | None = None) -> Clients:
    """Azure (any cloud): the `cloud` parameter and the process environment (or the one given)."""
    return connect_cloud("azure", params, params.cloud, os.environ if environment is None else environment)


# ---- the emulator target (the only place the emulator's public API is used) ----------------------

def emulator_info(home: Path, start: bool = True, echo: Any = None) -> Any:
    """The background emulator of this data folder: reused if running, else started (if `start`).
    Starting one is never silent when `echo` is given: a new data folder means a new emulator, which
    keeps running after the run, and the user is told where it is and how to stop it."""
    from keyless_emulator import EmulatorConfig, EmulatorNotRunning, attach, start_background

    try:
        return attach(home)
    except EmulatorNotRunning:
        if not start:
            raise KeylessError(f"no emulator is running for the data folder {home}",
                               "start it with `python -m keyless_emulator start`", code="EmulatorNotRunning") from None
    info = start_background(EmulatorConfig(home=home))
    if echo is not None:
        echo(f"started an emulator for the data folder {home} (none was running there) at {info.url}; it keeps "
             f"running after this run: --stop-emulator, or python -m keyless_emulator --home {home} stop")
    return info


def stop_emulator(home: Path) -> bool:
    """Stop the background emulator of this data folder (False if none was running)."""
    from keyless_emulator import stop

    return stop(home)


def emulator_control(info: Any) -> Any:
    """The emulator's control API client (`/_emulator/...`), authenticated with its admin key."""
    from keyless_emulator import ControlClient

    return ControlClient.of(info)


def reset_emulator(info: Any, scenario: str = "before-you-begin", attendee: str = "") -> None:
    """Put the tenant the runbook acts as back to `scenario`, and nobody else's. Acting as an attendee: that
    attendee's tenant. Acting as the emulator's operator: its tenant alone once attendees exist; while it is
    the only tenant, the full reset (same ids run after run, which the recorded notebooks rely on). An
    unknown scenario is a ParameterError naming the emulator's answer."""
    from keyless_emulator import ControlError

    control = emulator_control(info)
    if attendee:
        control.reset_tenant(attendee)
        return
    tenants = control.tenants()
    if len(tenants) <= 1:
        try:
            control.reset(scenario)
        except ControlError as e:
            raise ParameterError("scenario", scenario[:60],
                                 f"the emulator knows no such scenario ({str(e)[:300]})") from None
        return
    if scenario != "before-you-begin":
        raise ParameterError("scenario", scenario[:60], "this emulator holds workshop attendees' tenants, and a "
                             "scenario other than before-you-begin would reset all of them; use a data folder "
                             "of its own (-p data_dir) for this scenario")
    own = next(t["name"] for t in tenants if t["tenant_id"] == info.tenant_id)
    control.reset_tenant(own)


def emulator_environment(info: Any) -> dict[str, str]:
    """What `python -m keyless_emulator env` exports (the operator's service principal, the authority,
    the subscription), trusting the emulator's CA alone: everything the runbook reaches on this target is
    the emulator, and loading the public roots' bundle for every client costs a quarter second each."""
    return {**info.env(), "REQUESTS_CA_BUNDLE": info.ca_cert, "SSL_CERT_FILE": info.ca_cert}


def emulator_metadata_url(info: Any) -> str:
    return metadata_url_for(info.url)


ATTENDEE_ENV = "KEYLESS_ATTENDEE"
ATTENDEES_FOLDER = "attendees"      # keyless_emulator.attendees.FOLDER, the layout its profiles are written in
PROFILE_FILE = "profile.json"
_ATTENDEE_NAME = re.compile(r"[a-z][a-z0-9-]{0,38}[a-z0-9]")
ATTENDEE_RULE = ("an attendee is named as `python -m keyless_emulator attendees add` named them: 2-40 lower-case "
                 "letters, digits and hyphens, starting with a letter and not ending with a hyphen")


def attendee_folder(home: Path, name: str) -> Path:
    """Where an attendee's profile, state file and kubeconfig live; a bad name is refused naming the rule."""
    if not _ATTENDEE_NAME.fullmatch(name):
        raise ParameterError("attendee", name, ATTENDEE_RULE)
    return Path(home) / ATTENDEES_FOLDER / name


def for_attendee(params: Parameters, name: str | None = None) -> Parameters:
    """The parameters acting as attendee `name` (default: $KEYLESS_ATTENDEE): the data folder becomes the
    attendee's own, so attendees sharing a machine keep separate state files and kubeconfigs. Unchanged
    when no attendee is named, on the azure target, or when the data folder already is that attendee's."""
    name = os.environ.get(ATTENDEE_ENV, "") if name is None else name
    if not name or params.target != "emulator":
        return params
    home = params.home
    if home.name == name and (home / PROFILE_FILE).is_file():
        return params
    folder = attendee_folder(home, name)
    if not (folder / PROFILE_FILE).is_file():
        raise KeylessError(f"there is no profile for the attendee {name} in {home}",
                           f"ask the facilitator to run `python -m keyless_emulator attendees add {name}`, or point "
                           "data_dir (KEYLESS_HOME) at the workshop's data folder", code="UnknownAttendee")
    return params.replace(data_dir=str(folder))


def is_attendee_home(home: Path) -> bool:
    return (Path(home) / PROFILE_FILE).is_file()


def connect_emulator(params: Parameters, info: Any = None) -> Clients:
    """Start or reuse the emulator, then exactly the Azure path with its metadata endpoint and environment.
    In an attendee's data folder, the emulator and the credentials are the profile's (nothing is started)."""
    if info is None and is_attendee_home(params.home):
        from keyless_emulator import ProfileNotFound, read_profile

        try:
            profile = read_profile(params.home)
        except ProfileNotFound as e:
            raise KeylessError(str(e), "ask the facilitator for a new profile", code="UnknownAttendee") from None
        return connect_cloud("emulator", params, metadata_url_for(profile.url), profile.env(), emulator=profile)
    info = info or emulator_info(params.home)
    return connect_cloud("emulator", params, emulator_metadata_url(info), emulator_environment(info), emulator=info)


def connect(params: Parameters, emulator: Any = None) -> Clients:
    """Clients for the parameters' target. `emulator` may pass an EmulatorInfo already at hand."""
    if params.target == "emulator":
        return connect_emulator(params, emulator)
    return connect_azure(params)
