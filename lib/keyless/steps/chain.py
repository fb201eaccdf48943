"""The workload identity chain, link by link in the article's order, each link read live (reads only)
and named with the notebook that makes it hold.

Two users: every step that changes something first requires the links its notebook builds on
(`require`: a missing one stops the step with "run 0N first" before any mutating request, so
running a notebook out of order changes nothing), and the verification reports every link
(`links`) and names the first broken one with its notebook. The state file says what the runbook
did; these reads say what holds now (someone may have deleted the identity since).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from ..errors import KeylessError
from ..params import Parameters
from ..results import Check
from ..statefile import StateFile
from .deploy import differences, read_deployment
from .discover import discovered
from .federation import AUDIENCE
from .managed_identity import _values as identity_fields
from .role_assignment import ROLE_NAME, existing_assignment, role_definition_id
from .service_account import CLIENT_ID_ANNOTATION, kube_for, not_found
from .workload_identity import finish_update

NOTEBOOKS = {"01": "01-enable-workload-identity", "02": "02-create-managed-identity",
             "03": "03-create-federated-credential", "04": "04-use-workload-identity-on-aks",
             "05": "05-test-the-application"}


@dataclass
class Link:
    """One link's live reading: the check (name, held, what was seen) and the notebook that builds it."""

    key: str          # one of ORDER
    notebook: str
    check: Check


@dataclass
class Reading:
    """What the links read, kept for the verification (the identity's ids, the issuer, the Deployment)."""

    links: list[Link] = field(default_factory=list)
    identity: dict[str, Any] | None = None
    issuer: str = ""
    deployment: dict[str, Any] | None = None

    def first_broken(self) -> Link | None:
        return next((link for link in self.links if not link.check.ok), None)


# the links in chain order, and the notebook that builds each
ORDER = ("cluster", "identity", "role", "federation", "service_account", "deployment")
BUILT_BY = {"cluster": "01", "identity": "02", "role": "03", "federation": "03", "service_account": "04",
            "deployment": "04"}


def fix(notebook: str) -> str:
    return f"run {notebook} first (notebook {NOTEBOOKS[notebook]})"


def _add(reading: Reading, key: str, name: str, ok: bool, detail: str) -> None:
    notebook = BUILT_BY[key]
    reading.links.append(Link(key, notebook, Check(name, ok, detail, fix(notebook))))


def _cluster(clients: Any, params: Parameters, state: StateFile, reading: Reading) -> None:
    found = discovered(clients, params, state)
    mc = clients.aks.managed_clusters.get(params.resource_group, found["cluster"])
    oidc = bool(mc.oidc_issuer_profile and mc.oidc_issuer_profile.enabled)
    sp = mc.security_profile
    wi = bool(sp and sp.workload_identity and sp.workload_identity.enabled)
    reading.issuer = (mc.oidc_issuer_profile.issuer_url or "") if mc.oidc_issuer_profile else ""
    off = [what for what, on in (("OIDC issuer", oidc), ("workload identity", wi)) if not on]
    _add(reading, "cluster", f"OIDC issuer and workload identity enabled on {found['cluster']}", not off,
         "both enabled" if not off else f"{' and '.join(off)} off")


def _identity(clients: Any, params: Parameters, state: StateFile, reading: Reading) -> None:
    try:
        identity = clients.msi.user_assigned_identities.get(params.resource_group, params.identity)
    except ResourceNotFoundError:
        _add(reading, "identity", f"managed identity {params.identity} exists", False,
             f"no identity named {params.identity} in {params.resource_group}")
        return
    reading.identity = identity_fields(identity)
    state.remember(**reading.identity)
    _add(reading, "identity", f"managed identity {params.identity} exists", True, f"client id {identity.client_id}")


def _role(clients: Any, params: Parameters, state: StateFile, reading: Reading) -> None:
    name = f"{ROLE_NAME} for {params.identity} at the account's scope"
    if reading.identity is None:
        _add(reading, "role", name, False, "not checked: the identity does not exist")
        return
    scope = discovered(clients, params, state)["openai_account_id"]
    held = existing_assignment(clients, scope, reading.identity["principal_id"], role_definition_id(clients, scope))
    _add(reading, "role", name, held is not None, scope.rsplit("/", 1)[-1] if held else "no such role assignment")


def _federation(clients: Any, params: Parameters, reading: Reading) -> None:
    name = f"federated credential {params.federated_credential} trusts {params.subject}"
    if reading.identity is None:
        _add(reading, "federation", name, False, "not checked: the identity does not exist")
        return
    try:
        fic = clients.msi.federated_identity_credentials.get(params.resource_group, params.identity,
                                                             params.federated_credential)
    except ResourceNotFoundError:
        _add(reading, "federation", name, False, f"{params.federated_credential} does not exist")
        return
    wrong = []
    if fic.issuer != reading.issuer:
        wrong.append(f"issuer {fic.issuer} (the cluster's is {reading.issuer or 'not enabled'})")
    if fic.subject != params.subject:
        wrong.append(f"subject {fic.subject}")
    if AUDIENCE not in (fic.audiences or []):
        wrong.append(f"audiences {', '.join(fic.audiences or [])}")
    _add(reading, "federation", name, not wrong, "issuer, subject and audience match" if not wrong
         else "differs: " + "; ".join(wrong))


def _service_account(clients: Any, params: Parameters, state: StateFile, reading: Reading) -> None:
    kube = kube_for(clients, params, state)
    name = f"ServiceAccount {params.service_account} annotated with {params.identity}'s client id"
    try:
        sa = kube.core.read_namespaced_service_account(params.service_account, params.namespace)
    except Exception as e:  # only "not found" is an answer; anything else is raised
        if not not_found(e):
            raise
        _add(reading, "service_account", name, False, f"{params.namespace}/{params.service_account} does not exist")
        return
    annotation = (sa.metadata.annotations or {}).get(CLIENT_ID_ANNOTATION)
    want = (reading.identity or {}).get("client_id")
    _add(reading, "service_account", name, annotation is not None and annotation == want,
         f"{CLIENT_ID_ANNOTATION}={annotation}" if annotation else f"no {CLIENT_ID_ANNOTATION} annotation")


def _deployment(clients: Any, params: Parameters, state: StateFile, reading: Reading) -> None:
    kube = kube_for(clients, params, state)
    dep = read_deployment(kube, params)
    reading.deployment = dep
    missing = differences(dep, params, discovered(clients, params, state))
    _add(reading, "deployment", f"Deployment {params.app} uses the ServiceAccount, the webhook's label and no key",
         not missing, "as the article sets it" if not missing else "missing: " + ", ".join(missing))


def links(clients: Any, params: Parameters, state: StateFile, through: str = "deployment") -> Reading:
    """Every link up to `through` (one of ORDER), in chain order, read live."""
    last = ORDER.index(through)
    reading = Reading()
    _cluster(clients, params, state, reading)
    if last >= ORDER.index("identity"):
        _identity(clients, params, state, reading)
    if last >= ORDER.index("role"):
        _role(clients, params, state, reading)
    if last >= ORDER.index("federation"):
        _federation(clients, params, reading)
    if last >= ORDER.index("service_account"):
        _service_account(clients, params, state, reading)
    if last >= ORDER.index("deployment"):
        _deployment(clients, params, state, reading)
    return reading


def require(clients: Any, params: Parameters, state: StateFile, what: str, needs: tuple[str, ...]) -> Reading:
    """Stop `what` (a step about to change something) unless the links it `needs` hold; the refusal
    names the first broken one and the notebook to run, and comes before any mutating request, so a
    notebook run out of order changes nothing. A dry run plans the whole procedure at once (later
    steps planned on what earlier ones would make), so it is never stopped. A cluster update the runbook
    left running (notebook 01's) is waited for first when the cluster is among the `needs`."""
    if "cluster" in needs and not params.dry_run:
        finish_update(clients, params, state)
    reading = links(clients, params, state, max(needs, key=ORDER.index))
    broken = next((link for link in reading.links if link.key in needs and not link.check.ok), None)
    if broken is not None and not params.dry_run:
        raise KeylessError(f"{what} needs {broken.check.name}, which does not hold yet ({broken.check.detail}); "
                           "nothing was changed", f"{fix(broken.notebook)}, then run this cell again",
                           code="PrerequisiteMissing")
    return reading
