"""Clean up: remove exactly what the runbook made (the state file says what), put the original
ai-service Deployment back if asked, and leave the prerequisite article's resources alone.

Safe to run twice and after a failed run: what is already gone counts as removed. With
`dry_run` it only lists what it would do. The OIDC issuer cannot be turned off on AKS once on,
so it stays; workload identity is turned off again only if the runbook turned it on. That update
is the longest removal, so it is sent first and left running (kept as pending in the state file,
like 01's) while the other removals proceed, and waited for last.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from .. import retry
from ..params import Parameters
from ..results import ABSENT, DELETED, FAILED, OK, PLANNED, Check, StepResult
from ..statefile import StateFile
from ._common import Progress, explained, say
from .deploy import KEY_VARIABLES, LAST_APPLIED, RESTORE_MARKER, wait_for_rollout, with_key
from .discover import discovered
from .local_auth import set_key_access
from .service_account import CLIENT_ID_ANNOTATION, SMP, kube_for, not_found
from .workload_identity import PENDING, finish_update, settled, start_update

ORDER = ("local_auth_disabled", "deployment_changed",
         "service_account", "federated_credential", "role_assignment", "identity",
         "workload_identity_enabled_by_runbook")


def _name(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def plan(params: Parameters, state: StateFile) -> list[str]:
    out = []
    created, original = state.created, state.original
    if "local_auth_disabled" in created:
        out.append(f"turn key access back on for {created['local_auth_disabled']['account']} (disableLocalAuth=false; "
                   "the keys 06 regenerated stay: a key cannot be put back)")
    if "deployment_changed" in created:
        out.append(f"restore the original Deployment {params.namespace}/{params.app}" if params.restore_deployment
                   and "deployment" in original else f"keep the Deployment {params.app} as it is now")
    if "service_account_annotation" in original:
        out.append(f"put back the ServiceAccount {params.service_account}'s original annotation")
    if "service_account" in created:
        sa = created["service_account"]
        out.append(f"delete the ServiceAccount {sa['namespace']}/{sa['name']}")
    for kind, label in (("federated_credential", "federated credential"), ("role_assignment", "role assignment"),
                        ("identity", "managed identity")):
        if kind in created:
            out.append(f"delete the {label} {_name(created[kind])}")
    wi = created.get("workload_identity_enabled_by_runbook")
    if wi and not wi.get("workload_identity_was"):
        out.append("turn workload identity off again on the cluster (the OIDC issuer stays: AKS cannot turn it off)")
    return out


def _gone(fn: Callable[[], Any]) -> str:
    """Run a delete; what it answers: DELETED, or ABSENT when there was nothing to delete (a 404, or
    what `fn` returns). A delete whose answer was lost is read back by the one retry mechanism
    (`retry.call`'s read-back; `kube.RetryingApiClient` for Kubernetes, `_arm_delete` for Resource
    Manager): found gone, it was this delete that removed it, and it answers as deleted."""
    try:
        outcome = fn()
        return outcome if outcome in (DELETED, ABSENT) else DELETED
    except ResourceNotFoundError:
        return ABSENT
    except Exception as e:
        if not_found(e):
            return ABSENT
        raise


def _status(pipeline_response: Any, deserialized: Any, headers: Any) -> int:
    return int(pipeline_response.http_response.status_code)


# azure-core retries a request up to 10 times; the deletes taken over from it keep that reach (with 5
# sends, 1 of 16 runs of the fault matrix ran out while the cluster update's polls shared the faults)
ARM_DELETE_POLICY = retry.Policy(attempts=10)


def _arm_delete(send: Callable[..., Any], read: Callable[[], Any], what: str) -> str:
    """A Resource Manager delete through `retry.call` (azure-core's own retry off for it: re-sent
    after a lost answer it would meet 204 and the delete would pass for one that found nothing).
    DELETED when Resource Manager answers 200, ABSENT when it answers 204 (nothing to delete); when
    the answer was lost, the resource is read first: gone, this delete removed it (DELETED)."""
    def landed() -> str | None:
        try:
            read()
        except ResourceNotFoundError:
            return DELETED
        return None

    return retry.call(lambda: ABSENT if send(retry_total=0, cls=_status) == 204 else DELETED, what=what,
                      landed=landed, policy=ARM_DELETE_POLICY)


CONFLICT_ATTEMPTS = 5  # reads and replaces of the Deployment when another write lands between the two


def replace_at_latest(kube: Any, params: Parameters, body: dict[str, Any]) -> None:
    """Replace the app's Deployment with `body` at the resourceVersion just read; when the API server answers
    409 Conflict (a write landed between the read and the replace, such as the Deployment controller's status
    update after a pod restarted), read it again and replace again, as client-go's RetryOnConflict does."""
    from kubernetes.client.exceptions import ApiException

    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        current = kube.apps.read_namespaced_deployment(params.app, params.namespace)
        body["metadata"] = {**body.get("metadata", {}), "resourceVersion": current.metadata.resource_version}
        try:
            kube.apps.replace_namespaced_deployment(params.app, params.namespace, body)
            return
        except ApiException as e:
            if e.status != 409 or attempt == CONFLICT_ATTEMPTS:
                raise


def restore_deployment(clients: Any, params: Parameters, state: StateFile,
                       progress: Progress | None) -> tuple[bool, str]:
    """Put the app's Deployment back as the state file recorded it and wait for its rollout: (finished, outcome)."""
    found = discovered(clients, params, state)
    kube = kube_for(clients, params, state)
    original = copy.deepcopy(state.original["deployment"])
    key: str | None = None

    def the_key() -> str:  # read from Resource Manager once; never stored, never printed
        nonlocal key
        if key is None:
            key = str(clients.cognitive.accounts.list_keys(params.resource_group, found["openai_account"]).key1)
        return key

    for c in original["spec"]["template"]["spec"].get("containers") or []:
        for e in c.get("env") or []:
            if e.get("name") in KEY_VARIABLES and e.get("value") == RESTORE_MARKER:
                e["value"] = the_key()
    annotations = (original.get("metadata") or {}).get("annotations") or {}
    if RESTORE_MARKER in annotations.get(LAST_APPLIED, ""):
        annotations[LAST_APPLIED] = with_key(annotations[LAST_APPLIED], the_key())
    replace_at_latest(kube, params, {"apiVersion": "apps/v1", "kind": "Deployment",
                                     "metadata": original.get("metadata", {}), "spec": original["spec"]})
    ok, text = wait_for_rollout(kube, params, progress)
    if not ok:
        return False, f"restored, but its pods were not ready within {params.rollout_timeout}s ({text})"
    return True, "restored"


def _not_ready_hint(params: Parameters) -> str:
    return (f"look at its pods: kubectl get pods -n {params.namespace} -l app={params.app}; kubectl describe pod "
            f"-n {params.namespace} -l app={params.app}")


def _start_disabling_workload_identity(clients: Any, params: Parameters, state: StateFile) -> bool:
    """Send the update that turns workload identity off and leave it running (kept as pending in the state
    file, like 01's); False when it is already off. The other removals proceed while it runs."""
    found = discovered(clients, params, state)
    group, name = params.resource_group, found["cluster"]
    mc = settled(clients, group, name)
    if not (mc.security_profile and mc.security_profile.workload_identity
            and mc.security_profile.workload_identity.enabled):
        return False
    mc.security_profile.workload_identity.enabled = False

    def landed() -> retry.ReadBack | None:  # the update's first answer was lost: did it start?
        now = clients.aks.managed_clusters.get(group, name)
        wi = now.security_profile and now.security_profile.workload_identity
        return None if wi and wi.enabled else retry.ReadBack(
            lambda: clients.aks.managed_clusters.get(group, name), now)

    start_update(clients, params, state, name, mc, "disable", "99", landed)
    return True


@explained
def clean_up(clients: Any, params: Parameters, state: StateFile, progress: Progress | None = None) -> StepResult:
    todo = plan(params, state)
    command = (f"az identity federated-credential delete -n {params.federated_credential} --identity-name "
               f"{params.identity} -g {params.resource_group} --yes\n"
               f"az role assignment delete --ids <assignment id>\n"
               f"az identity delete -n {params.identity} -g {params.resource_group}\n"
               f"kubectl delete serviceaccount {params.service_account} -n {params.namespace}\n"
               f"kubectl apply -f <original ai-service.yaml>\n"
               "az resource update --ids <Azure OpenAI account id> --set properties.disableLocalAuth=false  "
               "# only if notebook 06 turned it off")
    if not todo:
        return StepResult("clean-up", OK, "nothing to clean up: the state file records nothing the runbook made",
                          command=command)
    if params.dry_run:
        return StepResult("clean-up", PLANNED, f"dry run: {len(todo)} action(s) would be taken",
                          values={f"{i + 1}": t for i, t in enumerate(todo)}, command=command, changes=list(todo))
    created, original = state.created, state.original
    checks: list[Check] = []
    touched: list[str] = []
    next_step = ""  # what to do when a line did not finish

    def record(name: str, outcome: str) -> None:
        checks.append(Check(name, True, outcome))
        say(progress, f"{name}: {outcome}")

    # an update 01 (or an interrupted clean-up) left running ends before another is sent
    earlier = (state.pending.get(PENDING) or {}).get("purpose")
    finish_update(clients, params, state, progress)
    wi = created.get("workload_identity_enabled_by_runbook")
    disabling = False
    if wi is not None and not wi.get("workload_identity_was"):  # the longest removal starts first, the rest overlap
        disabling = _start_disabling_workload_identity(clients, params, state)
        if disabling:
            say(progress, "turning workload identity off on the cluster: the update continues in the background "
                          "while the rest is removed")

    if "local_auth_disabled" in created:  # first: the original Deployment's key is read with listKeys
        account = created["local_auth_disabled"]["account"]
        # 06 records its intent before sending: interrupted before its PATCH, key access is still on
        sent = set_key_access(clients, params.resource_group, account, disabled=False)
        record(f"key access on {account}", ("turned back on" if sent else "already on")
               + " (the keys 06 regenerated stay: a key cannot be put back)")
        state.forget_created("local_auth_disabled")
        state.forget_original("local_auth")
    if "deployment_changed" in created:
        if params.restore_deployment and "deployment" in original:
            ready, outcome = restore_deployment(clients, params, state, progress)
            touched.append(f"deployment/{params.app}")
            if ready:
                record(f"Deployment {params.app}", outcome)
                state.forget_original("deployment")
                state.forget_created("deployment_changed")
            else:  # kept in the state file: clean-up run again puts the same spec back and waits again
                checks.append(Check(f"Deployment {params.app}", False, outcome, _not_ready_hint(params)))
                say(progress, f"Deployment {params.app}: {outcome}")
                next_step = ("once its pods can start, run clean-up again: it puts the same Deployment back and "
                             "waits for them (the rest is already removed)")
        else:
            state.forget_created("deployment_changed")
    if "service_account_annotation" in original:
        kube = kube_for(clients, params, state)
        value = original["service_account_annotation"].get("value")
        kube.core.patch_namespaced_service_account(params.service_account, params.namespace,
                                                   {"metadata": {"annotations": {CLIENT_ID_ANNOTATION: value}}},
                                                   _content_type=SMP)
        record(f"ServiceAccount {params.service_account} annotation", "restored")
        state.forget_original("service_account_annotation")
    if "service_account" in created:
        kube = kube_for(clients, params, state)
        sa = created["service_account"]
        record(f"ServiceAccount {sa['name']}", _gone(
            lambda: kube.core.delete_namespaced_service_account(sa["name"], sa["namespace"])))
        touched.append(f"serviceaccount/{sa['name']}")
        state.forget_created("service_account")
    if "federated_credential" in created:
        fic_id = created["federated_credential"]
        identity = fic_id.split("/")[-3]
        fics = clients.msi.federated_identity_credentials
        record(f"federated credential {_name(fic_id)}", _gone(lambda: _arm_delete(  # 409 while another is written
            lambda **kw: fics.delete(params.resource_group, identity, _name(fic_id), **kw),
            lambda: fics.get(params.resource_group, identity, _name(fic_id)),
            what=f"deleting the federated credential {_name(fic_id)}")))
        touched.append(fic_id)
        state.forget_created("federated_credential")
    if "role_assignment" in created:
        ra_id = created["role_assignment"]
        assignments = clients.authorization.role_assignments
        record(f"role assignment {_name(ra_id)}", _gone(lambda: _arm_delete(
            lambda **kw: assignments.delete_by_id(ra_id, **kw), lambda: assignments.get_by_id(ra_id),
            what=f"deleting the role assignment {_name(ra_id)}")))
        touched.append(ra_id)
        state.forget_created("role_assignment")
    if "identity" in created:
        ident_id = created["identity"]
        identities = clients.msi.user_assigned_identities
        record(f"managed identity {_name(ident_id)}", _gone(lambda: _arm_delete(
            lambda **kw: identities.delete(params.resource_group, _name(ident_id), **kw),
            lambda: identities.get(params.resource_group, _name(ident_id)),
            what=f"deleting the managed identity {_name(ident_id)}")))
        touched.append(ident_id)
        state.forget_created("identity")
        for k in ("identity", "client_id", "principal_id", "tenant_id", "identity_id"):
            state.discovered.pop(k, None)
        state.save()
    if wi is not None:
        if not wi.get("workload_identity_was"):
            finish_update(clients, params, state, progress)
            record("workload identity on the cluster", "turned off (the OIDC issuer stays on)" if disabling
                   else "turned off by the update an interrupted clean-up began (the OIDC issuer stays on)"
                   if earlier == "disable" else "already off (the OIDC issuer stays on)")
        state.forget_created("workload_identity_enabled_by_runbook")
    unfinished = [c.name for c in checks if not c.ok]
    if unfinished:
        return StepResult("clean-up", FAILED, f"removed what the runbook made ({len(checks)} action(s)); not finished: "
                          f"{', '.join(unfinished)}", checks=checks, command=command, touched=touched, hint=next_step)
    return StepResult("clean-up", OK, f"removed what the runbook made ({len(checks)} action(s))",
                      checks=checks, command=command, touched=touched)


def plan_clean_up(clients: Any, params: Parameters, state: StateFile, progress: Progress | None = None) -> StepResult:
    """What `clean_up` would do, without doing it."""
    result = clean_up(clients, params.replace(dry_run=True), state, progress)
    result.step = "clean-up-plan"
    return result
