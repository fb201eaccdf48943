"""Enable the OIDC issuer and workload identity on the existing AKS cluster.

What `az aks update --enable-oidc-issuer --enable-workload-identity` does: GET the cluster, set
both flags, PUT the whole ManagedCluster back and follow the long-running operation. If both
are already on, nothing is sent. The poller honours the server's Retry-After hints.

The update takes minutes on Azure and nothing in notebook 02 (the identity) or the role
assignment needs it, so it is started and left running: the step returns once the PUT is
accepted, keeping the operation's azure-core continuation token in the state file (`pending`).
The first step that needs the finished cluster — the federated credential, which needs the
issuer URL — resumes that same operation (`finish_update`): the live poller when it runs in the
same process, else one rebuilt from the token (a new kernel), else the cluster re-read until it
settles (a token that cannot be used). Clean-up does the same with the update that turns
workload identity off again.
"""
from __future__ import annotations

import time
from typing import Any

from .. import retry
from ..errors import KeylessError
from ..params import Parameters
from ..results import PLANNED, UNCHANGED, UPDATED, StepResult
from ..statefile import StateFile
from ._common import Progress, explained, say
from .discover import discovered


def _flags(mc: Any) -> tuple[bool, bool]:
    oidc = bool(getattr(mc.oidc_issuer_profile, "enabled", False)) if mc.oidc_issuer_profile else False
    sp = mc.security_profile
    wi = bool(sp and sp.workload_identity and sp.workload_identity.enabled)
    return oidc, wi


def settled(clients: Any, group: str, name: str) -> Any:
    """The cluster once no operation runs on it: an update still in flight (a run interrupted during
    it, or one whose answer was lost) is followed to its end before anything is decided or sent."""
    mc = clients.aks.managed_clusters.get(group, name)
    if str(mc.provisioning_state or "").lower() in retry.TERMINAL:
        return mc
    return retry.ReadBack(lambda: clients.aks.managed_clusters.get(group, name), mc).result()


def _command(params: Parameters, cluster: str) -> str:
    return (f"az aks update -g {params.resource_group} -n {cluster} --enable-oidc-issuer --enable-workload-identity\n"
            f"az aks show -g {params.resource_group} -n {cluster} --query oidcIssuerProfile.issuerUrl -o tsv")


PENDING = "cluster_update"  # the state file's `pending` record of the cluster update in flight
# Pollers started in this process, by (state file, cluster): a later notebook in the same kernel
# resumes the very poller (no second poll loop); another process rebuilds it from the token.
_LIVE: dict[tuple[str, str], Any] = {}


def start_update(clients: Any, params: Parameters, state: StateFile, name: str, mc: Any, purpose: str,
                 notebook: str, landed: Any) -> Any:
    """PUT the cluster (retried through keyless.retry, `landed` reading back a lost answer) and keep the
    operation as pending in the state file, so a later step resumes it rather than sending it again."""
    group = params.resource_group
    poller = retry.call(lambda: clients.aks.managed_clusters.begin_create_or_update(group, name, mc),
                        what=f"the update of {name}", landed=landed)
    token = poller.continuation_token() if hasattr(poller, "continuation_token") else None
    state.remember_pending(PENDING, {"cluster": name, "purpose": purpose, "notebook": notebook, "token": token})
    _LIVE[(str(state.path), name)] = poller
    return poller


def _resume(clients: Any, group: str, name: str, record: dict[str, Any]) -> Any:
    """A poller for the pending operation in a process that did not start it: from the continuation token,
    or (no token, or one this azure-core cannot read) by re-reading the cluster until it settles."""
    token = record.get("token")
    if token:
        try:
            return clients.aks.managed_clusters.begin_create_or_update(group, name, None, continuation_token=token)
        except ValueError:  # a token written by another azure-core version: the cluster itself still tells
            pass
    return retry.ReadBack(lambda: clients.aks.managed_clusters.get(group, name),
                          clients.aks.managed_clusters.get(group, name))


def finish_update(clients: Any, params: Parameters, state: StateFile, progress: Progress | None = None,
                  timeout: float = 1800.0) -> Any | None:
    """Wait for the cluster update the runbook left running, if any, and return the cluster it made (None
    when nothing is pending). Enabling: the issuer URL is kept in the state file, and one line says the
    update finished. An operation that ended in failure is raised, its record dropped (it is over)."""
    record = state.pending.get(PENDING)
    if not record:
        return None
    group, name = params.resource_group, str(record["cluster"])
    key = (str(state.path), name)
    poller = _LIVE.pop(key, None) or _resume(clients, group, name, record)
    started = time.monotonic()
    if not poller.done():
        say(progress, f"waiting for the update of {name} started in notebook {record.get('notebook')}", detail=True)
    try:
        while not poller.done():
            if time.monotonic() - started > timeout:
                _LIVE[key] = poller
                raise KeylessError(f"the update of {name} did not finish within {timeout:.0f}s",
                                   "the update continues in Azure; run this cell again later",
                                   code="ClusterUpdateTimeout")
            poller.wait(5)
            if not poller.done():
                say(progress, f"  still updating {name} ({poller.status()}, {time.monotonic() - started:.0f}s)",
                    detail=True)
        mc = poller.result()
    except KeylessError:
        raise  # not finished yet: it stays pending
    except Exception as e:
        # The operation's record expired (404), or a poll met more faults than azure-core retries (the
        # poller stops, the operation goes on): either way the cluster says how it ended.
        if getattr(e, "status_code", None) != 404 and retry.classify(e) is None:
            state.forget_pending(PENDING)  # the operation failed: it is over
            raise
        mc = settled(clients, group, name)
    state.forget_pending(PENDING)  # the operation is over
    if record.get("purpose") == "enable":
        issuer = mc.oidc_issuer_profile.issuer_url if mc.oidc_issuer_profile else None
        if not issuer:  # some versions return the body before the issuer is filled: read it back
            issuer = clients.aks.managed_clusters.get(group, name).oidc_issuer_profile.issuer_url
        state.remember(issuer_url=issuer)
        say(progress, f"the update of {name} started in notebook {record.get('notebook')} has finished: "
                      "the OIDC issuer and workload identity are on")
    return mc


@explained
def enable_workload_identity(clients: Any, params: Parameters, state: StateFile,
                             progress: Progress | None = None, timeout: float = 1800.0) -> StepResult:
    from azure.mgmt.containerservice import models

    found = discovered(clients, params, state)
    group, name = params.resource_group, found["cluster"]
    if not params.dry_run:
        finish_update(clients, params, state, progress, timeout)  # run again while the update still runs
    mc = settled(clients, group, name)
    oidc, wi = _flags(mc)
    if oidc and wi and mc.oidc_issuer_profile.issuer_url:
        state.remember(issuer_url=mc.oidc_issuer_profile.issuer_url)
        return StepResult("enable-workload-identity", UNCHANGED,
                          f"the OIDC issuer and workload identity are already enabled on {name}; nothing sent",
                          values={"cluster": name, "issuer_url": mc.oidc_issuer_profile.issuer_url},
                          command=_command(params, name))

    if params.dry_run:
        missing = [what for what, on in (("the OIDC issuer", oidc), ("workload identity", wi)) if not on]
        return StepResult("enable-workload-identity", PLANNED,
                          f"dry run: {name} would be updated; nothing sent", values={"cluster": name},
                          changes=[f"enable {what} on the cluster {name}" for what in missing or ["the OIDC issuer"]],
                          command=_command(params, name))
    if mc.oidc_issuer_profile is None:
        mc.oidc_issuer_profile = models.ManagedClusterOIDCIssuerProfile(enabled=True)
    else:
        mc.oidc_issuer_profile.enabled = True
    if mc.security_profile is None:
        mc.security_profile = models.ManagedClusterSecurityProfile()
    if mc.security_profile.workload_identity is None:
        mc.security_profile.workload_identity = models.ManagedClusterSecurityProfileWorkloadIdentity(enabled=True)
    else:
        mc.security_profile.workload_identity.enabled = True

    # intent first: if the run stops while the update is in flight, clean-up still knows to undo it
    state.created.setdefault("workload_identity_enabled_by_runbook", {"oidc_was": oidc, "workload_identity_was": wi})
    state.save()
    state.discovered.pop("issuer_url", None)  # known for sure once the update has finished
    say(progress, f"updating {name}: enabling the OIDC issuer and workload identity (this can take minutes on Azure)")

    def landed() -> retry.ReadBack | None:  # the update's first answer was lost: did it start?
        now = clients.aks.managed_clusters.get(group, name)
        return retry.ReadBack(lambda: clients.aks.managed_clusters.get(group, name), now) \
            if _flags(now) == (True, True) else None

    start_update(clients, params, state, name, mc, "enable", "01", landed)
    say(progress, f"the update of {name} continues in the background while notebooks 02 and 03 create the identity "
                  "and grant its role; the federated credential (notebook 03) waits for it, as it needs the issuer URL")
    return StepResult("enable-workload-identity", UPDATED,
                      f"started enabling the OIDC issuer and workload identity on {name}; the update continues in "
                      "the background", values={"cluster": name, "completes": "before the federated credential (03)"},
                      command=_command(params, name), touched=[mc.id])


def issuer_url(clients: Any, params: Parameters, state: StateFile) -> str:
    """The cluster's issuer URL from the state file, else from the cluster (read only)."""
    if state.discovered.get("issuer_url"):
        return str(state.discovered["issuer_url"])
    found = discovered(clients, params, state)
    mc = clients.aks.managed_clusters.get(params.resource_group, found["cluster"])
    url = mc.oidc_issuer_profile.issuer_url if mc.oidc_issuer_profile else None
    if url:
        state.remember(issuer_url=url)
    return url or ""
