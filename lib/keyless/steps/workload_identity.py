"""Enable the OIDC issuer and workload identity on the existing AKS cluster.

What `az aks update --enable-oidc-issuer --enable-workload-identity` does: GET the cluster, set
both flags, PUT the whole ManagedCluster back and follow the long-running operation. If both
are already on, nothing is sent. The poller honours the server's Retry-After hints.
"""
from __future__ import annotations

import time
from typing import Any

from .. import retry
from ..params import Parameters
from ..results import FAILED, PLANNED, UNCHANGED, UPDATED, StepResult
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


@explained
def enable_workload_identity(clients: Any, params: Parameters, state: StateFile,
                             progress: Progress | None = None, timeout: float = 1800.0) -> StepResult:
    from azure.mgmt.containerservice import models

    found = discovered(clients, params, state)
    group, name = params.resource_group, found["cluster"]
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
    say(progress, f"updating {name}: enabling the OIDC issuer and workload identity (this can take minutes on Azure)")
    started = time.monotonic()

    def landed() -> retry.ReadBack | None:  # the update's first answer was lost: did it start?
        now = clients.aks.managed_clusters.get(group, name)
        return retry.ReadBack(lambda: clients.aks.managed_clusters.get(group, name), now) \
            if _flags(now) == (True, True) else None

    poller = retry.call(lambda: clients.aks.managed_clusters.begin_create_or_update(group, name, mc),
                        what=f"the update of {name}", landed=landed)
    while not poller.done():
        if time.monotonic() - started > timeout:
            return StepResult("enable-workload-identity", FAILED,
                              f"the cluster update did not finish within {timeout:.0f}s",
                              values={"cluster": name}, command=_command(params, name),
                              hint="the update continues in Azure; run this cell again later to check")
        poller.wait(5)
        if not poller.done():
            say(progress, f"  still updating {name} ({poller.status()}, {time.monotonic() - started:.0f}s)",
                detail=True)
    result = poller.result()
    issuer = result.oidc_issuer_profile.issuer_url if result.oidc_issuer_profile else None
    if not issuer:  # some versions return the body before the issuer is filled: read it back
        issuer = clients.aks.managed_clusters.get(group, name).oidc_issuer_profile.issuer_url
    state.remember(issuer_url=issuer)
    say(progress, f"{name} updated in {time.monotonic() - started:.0f}s", detail=True)
    return StepResult("enable-workload-identity", UPDATED,
                      f"enabled the OIDC issuer and workload identity on {name}",
                      values={"cluster": name, "issuer_url": issuer, "provisioning_state": result.provisioning_state},
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
