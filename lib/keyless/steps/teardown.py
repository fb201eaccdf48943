"""Tear down what the prerequisites notebook built: delete the resource group (a long-running
operation that takes the cluster, the account and everything else in it), then purge the Azure
OpenAI accounts it held — Azure keeps a deleted Cognitive Services account for 48 hours (its name
and custom subdomain stay taken) unless it is purged.

A resource group the prerequisites notebook did not create (the state file says which it did) is
refused unless `delete_unowned_group` is set: it may hold things nobody meant to delete. Safe to
run twice: what is already gone counts as gone.
"""
from __future__ import annotations

from typing import Any

from ..kube import forget
from ..params import Parameters
from ..results import ABSENT, DELETED, FAILED, PLANNED, Check, StepResult
from ..statefile import StateFile
from ._common import Progress, explained, follow, say
from .prerequisites import _get

PURGE_KEY = "deleted_openai_accounts"  # accounts the group delete soft-deleted, purged next


def _accounts_in(clients: Any, group: str) -> list[dict[str, str]]:
    return [{"name": a.name, "location": a.location} for a in clients.cognitive.accounts.list_by_resource_group(group)]


@explained
def delete_resource_group(clients: Any, params: Parameters, state: StateFile, progress: Progress | None = None,
                          timeout: float = 3600.0) -> StepResult:
    name = params.resource_group
    command = f"az group delete --name {name} --yes"
    group = _get(lambda: clients.resources.resource_groups.get(name))
    if group is None:
        state.forget_created("resource_group")
        return StepResult("delete-resource-group", ABSENT, f"the resource group {name} does not exist; nothing sent",
                          command=command)
    owned = "resource_group" in state.created
    if not owned and not params.delete_unowned_group:
        return StepResult("delete-resource-group", FAILED, f"refused: the resource group {name} was not created by "
                          "the prerequisites notebook (the state file does not record it); nothing sent",
                          values={"resource_group": name}, command=command,
                          hint="if you mean to delete it and everything in it, set delete_unowned_group = True")
    accounts = _accounts_in(clients, name)
    if params.dry_run:
        return StepResult("delete-resource-group", PLANNED, f"dry run: the resource group {name} would be deleted; "
                          "nothing sent", changes=[f"delete resource group {name} and everything in it"]
                          + [f"purge the soft-deleted Azure OpenAI account {a['name']}" for a in accounts],
                          command=command)
    state.record_created(PURGE_KEY, accounts)  # before the delete: the purge must know them even after a crash
    say(progress, f"deleting the resource group {name} and everything in it (this takes minutes on Azure)")
    poller = clients.resources.resource_groups.begin_delete(name)
    if not follow(poller, f"deleting {name}", progress, timeout):
        return StepResult("delete-resource-group", FAILED, f"the delete of {name} did not finish within "
                          f"{timeout:.0f}s", command=command,
                          hint="the delete goes on in Azure; run this cell again later to check")
    poller.result()
    forget(clients, name)
    # everything prerequisites and the runbook found or made in the group went with it
    state.data["discovered"], state.data["original"] = {}, {}
    for kind in [k for k in state.created if k != PURGE_KEY]:
        state.created.pop(kind)
    state.save()
    return StepResult("delete-resource-group", DELETED, f"deleted the resource group {name}",
                      values={"resource_group": name, "soft_deleted_accounts": len(accounts)}, command=command,
                      touched=[group.id])


@explained
def purge_openai_accounts(clients: Any, params: Parameters, state: StateFile,
                          progress: Progress | None = None) -> StepResult:
    group = params.resource_group
    todo = state.created.get(PURGE_KEY) or []
    command = "\n".join(f"az cognitiveservices account purge --name {a['name']} --resource-group {group} "
                        f"--location {a['location']}" for a in todo) or \
        "az cognitiveservices account list-deleted"
    if not todo:
        return StepResult("purge-openai-accounts", ABSENT, "no deleted Azure OpenAI account to purge; nothing sent",
                          command=command)
    if params.dry_run:
        return StepResult("purge-openai-accounts", PLANNED, f"dry run: {len(todo)} account(s) would be purged; "
                          "nothing sent", changes=[f"purge {a['name']}" for a in todo], command=command)
    checks = []
    for a in todo:
        deleted = _get(lambda a=a: clients.cognitive.deleted_accounts.get(a["location"], group, a["name"]))
        if deleted is None:
            checks.append(Check(f"account {a['name']}", True, ABSENT))
            continue
        say(progress, f"purging the deleted Azure OpenAI account {a['name']}")
        clients.cognitive.deleted_accounts.begin_purge(a["location"], group, a["name"]).result()
        checks.append(Check(f"account {a['name']}", True, "purged"))
    state.forget_created(PURGE_KEY)
    purged = sum(1 for c in checks if c.detail == "purged")
    return StepResult("purge-openai-accounts", DELETED if purged else ABSENT,
                      f"purged {purged} deleted Azure OpenAI account(s); their names and subdomains are free again",
                      checks=checks, command=command)
