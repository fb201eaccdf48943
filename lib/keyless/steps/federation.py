"""Create the federated identity credential that lets Entra trust the cluster's service account
tokens for this identity: issuer = the cluster's OIDC issuer URL (exactly, trailing slash
included), subject = system:serviceaccount:<namespace>:<service account>, audience
api://AzureADTokenExchange. An existing credential of the same name is compared field by field;
a different issuer or subject is reported, never overwritten."""
from __future__ import annotations

from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from .. import retry
from ..errors import KeylessError
from ..params import Parameters
from ..results import CREATED, FAILED, PLANNED, UNCHANGED, Check, StepResult
from ..statefile import StateFile
from ._common import Progress, explained
from .managed_identity import existing_identity, identity_values
from .workload_identity import finish_update, issuer_url

AUDIENCE = "api://AzureADTokenExchange"


def _command(params: Parameters, issuer: str) -> str:
    return (f"az identity federated-credential create --name {params.federated_credential} "
            f"--identity-name {params.identity} --resource-group {params.resource_group} "
            f"--issuer {issuer} --subject {params.subject} --audience {AUDIENCE}")


def _existing(clients: Any, params: Parameters) -> Any | None:
    try:
        return clients.msi.federated_identity_credentials.get(params.resource_group, params.identity,
                                                              params.federated_credential)
    except ResourceNotFoundError:
        return None


def _plan(clients: Any, params: Parameters, state: StateFile) -> StepResult:
    """Dry run: what would be created, also when the identity or the cluster's issuer do not exist yet
    (they would be made by the earlier steps of the same run). An existing credential that differs is
    the same failure as in a real run: it would be refused, not overwritten."""
    issuer = issuer_url(clients, params, state) or "<the cluster's OIDC issuer URL, once enabled>"
    wanted = {"issuer": issuer, "subject": params.subject, "audiences": [AUDIENCE]}
    values = {"federated_credential": params.federated_credential, **wanted}
    fic = _existing(clients, params) if existing_identity(clients, params, state) else None
    if fic is None:
        return StepResult("create-federated-credential", PLANNED,
                          f"dry run: the federated credential {params.federated_credential} would be created; "
                          "nothing sent", values=values, command=_command(params, issuer),
                          changes=[f"create the federated credential {params.federated_credential} on "
                                   f"{params.identity} trusting {params.subject} from {issuer}"])
    return _compare(fic, wanted, values, params, issuer)


def _compare(fic: Any, wanted: dict[str, Any], values: dict[str, Any], params: Parameters,
             issuer: str) -> StepResult:
    have = {"issuer": fic.issuer, "subject": fic.subject, "audiences": list(fic.audiences or [])}
    checks = [Check(f"{k} matches", have[k] == wanted[k], f"has {have[k]!r}" + ("" if have[k] == wanted[k]
                                                                                 else f", expected {wanted[k]!r}"))
              for k in ("issuer", "subject", "audiences")]
    if all(c.ok for c in checks):
        return StepResult("create-federated-credential", UNCHANGED,
                          f"the federated credential {fic.name} already exists with the right issuer, subject "
                          "and audience", values=values, checks=checks, command=_command(params, issuer))
    return StepResult("create-federated-credential", FAILED,
                      f"a federated credential named {fic.name} exists with different values; it was left as is",
                      values=values, checks=checks, command=_command(params, issuer),
                      hint=f"delete it (az identity federated-credential delete -n {fic.name} --identity-name "
                           f"{params.identity} -g {params.resource_group}) or choose another "
                           "federated_credential name, then run this cell again")


@explained
def create_federated_credential(clients: Any, params: Parameters, state: StateFile,
                                progress: Progress | None = None) -> StepResult:
    if params.dry_run:
        return _plan(clients, params, state)
    from .chain import require  # here, not at the top: the chain reads the links these steps build

    finish_update(clients, params, state, progress)  # the issuer URL is final once 01's update has finished
    require(clients, params, state, "creating the federated credential", ("cluster", "identity"))
    identity_values(clients, params, state)  # proves the identity exists (and fills the state)
    issuer = issuer_url(clients, params, state)
    if not issuer:
        raise KeylessError("the cluster has no OIDC issuer URL yet", "run notebook 01 (enable workload identity) first",
                           code="NoIssuer")
    wanted = {"issuer": issuer, "subject": params.subject, "audiences": [AUDIENCE]}
    values = {"federated_credential": params.federated_credential, **wanted}
    fic = _existing(clients, params)
    if fic is not None:
        return _compare(fic, wanted, values, params, issuer)
    from azure.mgmt.msi.models import FederatedIdentityCredential

    # Another writer on the same identity makes Azure answer 409 ConcurrentFederated...; keyless.retry
    # waits and tries again, reading back first in case a lost answer hid a write that landed.
    planned_id = (f"{state.discovered.get('identity_id') or ''}/federatedIdentityCredentials/"
                  f"{params.federated_credential}")
    with state.intent("federated_credential", planned_id):
        fic = retry.call(lambda: clients.msi.federated_identity_credentials.create_or_update(
            params.resource_group, params.identity, params.federated_credential,
            FederatedIdentityCredential(issuer=issuer, subject=params.subject, audiences=[AUDIENCE])),
            what=f"writing the federated credential {params.federated_credential}",
            landed=lambda: _existing(clients, params))
    state.record_created("federated_credential", fic.id)
    return StepResult("create-federated-credential", CREATED,
                      f"created the federated credential {fic.name} trusting {params.subject}",
                      values=values, command=_command(params, issuer), touched=[fic.id])
