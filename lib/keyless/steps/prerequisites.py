"""Start from nothing: build the end state of the prerequisite article (*Deploy an application that
uses OpenAI on AKS*) — a resource group, an AKS cluster, an Azure OpenAI account with a custom
subdomain and a chat model deployment, and the store with a key-based ai-service applied as
`kubectl apply` applies it — so the runbook has something to secure.

Each step reads first and sends nothing when the target already holds what it would create (a
second run sends no mutating request); what it creates is recorded in the state file, so the
teardown notebook deletes exactly that. Names left empty get the prerequisite article's names.
Whether creating billed resources was agreed to (`confirm_costs`) is the notebook layer's check
(keyless.notebook), made before any of these steps runs: a step does not know which target it is on.
"""
from __future__ import annotations

import copy
import hashlib
import json
import time
from typing import Any

import store_manifests

from ..errors import KeylessError
from ..params import Parameters
from ..results import CREATED, FAILED, OK, PLANNED, UNCHANGED, Check, StepResult
from ..statefile import StateFile
from ._common import Progress, explained, follow, say

DEFAULT_LOCATION = "eastus"          # the prerequisite article's location
DEFAULT_CLUSTER = "myAKSCluster"     # ... its cluster
DEFAULT_ACCOUNT = "myOpenAIAccount"  # ... and the account name the emulator's before-you-begin uses
STORE_NAMESPACE = "default"          # the store's manifests carry their namespace
KEY_VARIABLE = "OPENAI_API_KEY"
KEY_PLACEHOLDER = "<the account's key1>"
_PLURAL = {"Deployment": "deployments", "Service": "services"}


def cluster_name(params: Parameters) -> str:
    return params.cluster or DEFAULT_CLUSTER


def account_name(params: Parameters) -> str:
    return params.openai_account or DEFAULT_ACCOUNT


def deployment_name(params: Parameters) -> str:
    return params.openai_deployment or params.model_name


def subdomain(params: Parameters, subscription: str) -> str:
    """The account's custom subdomain: its name plus a short digest of the subscription, so it is
    stable for one subscription and unlikely to be taken by anyone else (it is globally unique)."""
    digest = hashlib.sha256(subscription.lower().encode()).hexdigest()[:6]
    return f"{account_name(params).lower()}-{digest}"


def _not_found(exc: BaseException) -> bool:
    from azure.core.exceptions import ResourceNotFoundError

    return isinstance(exc, ResourceNotFoundError) or getattr(exc, "status_code", None) == 404


def _get(read: Any) -> Any:
    """The resource, or None when Resource Manager answers 404."""
    try:
        return read()
    except Exception as e:
        if _not_found(e):
            return None
        raise


def group_location(clients: Any, params: Parameters) -> str:
    group = _get(lambda: clients.resources.resource_groups.get(params.resource_group))
    if group is not None:
        return str(group.location)
    return params.location or DEFAULT_LOCATION


# -- Resource Manager ----------------------------------------------------------------------
@explained
def create_resource_group(clients: Any, params: Parameters, state: StateFile) -> StepResult:
    name, location = params.resource_group, params.location or DEFAULT_LOCATION
    command = f"az group create --name {name} --location {location}"
    group = _get(lambda: clients.resources.resource_groups.get(name))
    if group is not None:
        return StepResult("create-resource-group", UNCHANGED, f"the resource group {name} exists ({group.location}); "
                          "nothing sent", values={"resource_group": name, "location": group.location}, command=command)
    if params.dry_run:
        return StepResult("create-resource-group", PLANNED, f"dry run: the resource group {name} would be created; "
                          "nothing sent", changes=[f"create resource group {name} in {location}"], command=command)
    created = clients.resources.resource_groups.create_or_update(name, {"location": location})
    state.record_created("resource_group", {"id": created.id, "name": name})
    return StepResult("create-resource-group", CREATED, f"created the resource group {name} in {created.location}",
                      values={"resource_group": name, "location": created.location}, command=command,
                      touched=[created.id])


def _cluster_command(params: Parameters, name: str) -> str:
    extra = f" --node-vm-size {params.node_vm_size}" if params.node_vm_size else ""
    extra += f" --kubernetes-version {params.kubernetes_version}" if params.kubernetes_version else ""
    return (f"az aks create --resource-group {params.resource_group} --name {name} --node-count {params.node_count}"
            f"{extra} --generate-ssh-keys")


def cluster_request(params: Parameters, location: str, subscription: str) -> Any:
    """The managed cluster `az aks create` asks for: a system-assigned identity, one system node pool
    of `node_count` nodes, and AKS's defaults for everything left out (filled in by AKS)."""
    from azure.mgmt.containerservice import models

    name = cluster_name(params)
    pool = models.ManagedClusterAgentPoolProfile(name="nodepool1", count=params.node_count, mode="System",
                                                 os_type="Linux", type="VirtualMachineScaleSets",
                                                 vm_size=params.node_vm_size or None)
    # az's dnsPrefix: the cluster's and group's names (trimmed) and the subscription's first characters
    prefix = f"{name[:10]}-{params.resource_group[:16]}-{subscription[:6]}"
    prefix = "".join(c if c.isalnum() or c == "-" else "-" for c in prefix).strip("-")
    return models.ManagedCluster(location=location,
                                 identity=models.ManagedClusterIdentity(type="SystemAssigned"),
                                 properties=models.ManagedClusterProperties(
                                     dns_prefix=prefix, kubernetes_version=params.kubernetes_version or None,
                                     agent_pool_profiles=[pool]))


@explained
def create_cluster(clients: Any, params: Parameters, state: StateFile, progress: Progress | None = None,
                   timeout: float = 1800.0) -> StepResult:
    name, group = cluster_name(params), params.resource_group
    command = _cluster_command(params, name)
    group_exists = _get(lambda: clients.resources.resource_groups.get(group)) is not None
    existing = _get(lambda: clients.aks.managed_clusters.get(group, name)) if group_exists else None
    if existing is not None:
        values = {"cluster": name, "provisioning_state": existing.provisioning_state,
                  "kubernetes_version": existing.kubernetes_version}
        if existing.provisioning_state in ("Creating", "Updating") and not params.dry_run:
            say(progress, f"{name} is still {existing.provisioning_state.lower()}; waiting for it (nothing sent)")
            if not _wait_provisioned(clients, group, name, progress, timeout):
                return StepResult("create-cluster", FAILED, f"{name} did not finish provisioning within {timeout:.0f}s",
                                  values=values, command=command, hint="run this cell again later")
            values["provisioning_state"] = "Succeeded"
        return StepResult("create-cluster", UNCHANGED, f"the cluster {name} exists; nothing sent", values=values,
                          command=command)
    if params.dry_run:
        return StepResult("create-cluster", PLANNED, f"dry run: the cluster {name} would be created; nothing sent",
                          changes=[f"create AKS cluster {name}: {params.node_count} node(s)"
                                   + (f" of {params.node_vm_size}" if params.node_vm_size else "")
                                   + (f", Kubernetes {params.kubernetes_version}" if params.kubernetes_version
                                      else "")], command=command)
    location = group_location(clients, params)
    request = cluster_request(params, location, clients.subscription_id)
    say(progress, f"creating the cluster {name} ({params.node_count} node(s); this takes several minutes on Azure)")
    poller = clients.aks.managed_clusters.begin_create_or_update(group, name, request)
    first = _get(lambda: clients.aks.managed_clusters.get(group, name))
    if first is not None:
        state.record_created("cluster", {"id": first.id, "name": name})
    if not follow(poller, f"creating {name}", progress, timeout):
        return StepResult("create-cluster", FAILED, f"the cluster create did not finish within {timeout:.0f}s",
                          values={"cluster": name}, command=command,
                          hint="the create goes on in Azure; run this cell again later to check")
    mc = poller.result()
    state.record_created("cluster", {"id": mc.id, "name": name})
    pools = mc.agent_pool_profiles or []
    return StepResult("create-cluster", CREATED, f"created the cluster {name}",
                      values={"cluster": name, "provisioning_state": mc.provisioning_state,
                              "kubernetes_version": mc.kubernetes_version,
                              "nodes": sum(p.count or 0 for p in pools),
                              "node_vm_size": pools[0].vm_size if pools else ""},
                      command=command, touched=[mc.id])


def _wait_provisioned(clients: Any, group: str, name: str, progress: Progress | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mc = clients.aks.managed_clusters.get(group, name)
        if mc.provisioning_state not in ("Creating", "Updating"):
            return bool(mc.provisioning_state == "Succeeded")
        say(progress, f"  {name}: {mc.provisioning_state}", detail=True)
        time.sleep(5)
    return False


@explained
def create_openai_account(clients: Any, params: Parameters, state: StateFile,
                          progress: Progress | None = None) -> StepResult:
    from azure.mgmt.cognitiveservices import models

    name, group = account_name(params), params.resource_group
    sub = subdomain(params, clients.subscription_id)
    location = group_location(clients, params)
    command = (f"az cognitiveservices account create --name {name} --resource-group {group} --location {location} "
               f"--kind OpenAI --sku S0 --custom-domain {sub}")
    group_exists = _get(lambda: clients.resources.resource_groups.get(group)) is not None
    existing = _get(lambda: clients.cognitive.accounts.get(group, name)) if group_exists else None
    if existing is not None:
        values = {"openai_account": name, "kind": existing.kind,
                  "custom_subdomain": existing.properties.custom_sub_domain_name,
                  "endpoint": existing.properties.endpoint}
        if not existing.properties.custom_sub_domain_name:
            return StepResult("create-openai-account", FAILED, f"the account {name} exists but has no custom subdomain",
                              values=values, command=command,
                              hint="Microsoft Entra ID needs a custom subdomain: set one on the account (it cannot be "
                                   "changed later), or choose another openai_account name")
        return StepResult("create-openai-account", UNCHANGED, f"the Azure OpenAI account {name} exists; nothing sent",
                          values=values, command=command)
    if params.dry_run:
        return StepResult("create-openai-account", PLANNED, f"dry run: the Azure OpenAI account {name} would be "
                          "created; nothing sent", changes=[f"create Azure OpenAI account {name} (kind OpenAI, S0, "
                                                           f"custom subdomain {sub})"], command=command)
    request = models.Account(location=location, kind="OpenAI", sku=models.Sku(name="S0"),
                             properties=models.AccountProperties(custom_sub_domain_name=sub))
    say(progress, f"creating the Azure OpenAI account {name}")
    account = clients.cognitive.accounts.begin_create(group, name, request).result()
    state.record_created("openai_account", {"id": account.id, "name": name, "location": account.location})
    return StepResult("create-openai-account", CREATED, f"created the Azure OpenAI account {name}",
                      values={"openai_account": name, "kind": account.kind, "custom_subdomain": sub,
                              "endpoint": account.properties.endpoint},
                      command=command, touched=[account.id])


@explained
def create_model_deployment(clients: Any, params: Parameters, state: StateFile,
                            progress: Progress | None = None) -> StepResult:
    from azure.mgmt.cognitiveservices import models

    account, name, group = account_name(params), deployment_name(params), params.resource_group
    command = (f"az cognitiveservices account deployment create --name {account} --resource-group {group} "
               f"--deployment-name {name} --model-name {params.model_name} --model-version {params.model_version} "
               f"--model-format OpenAI --sku-name {params.deployment_sku} --sku-capacity {params.deployment_capacity}")
    has_account = _get(lambda: clients.resources.resource_groups.get(group)) is not None and _get(
        lambda: clients.cognitive.accounts.get(group, account)) is not None
    existing = _get(lambda: clients.cognitive.deployments.get(group, account, name)) if has_account else None
    if existing is not None:
        model = existing.properties.model
        return StepResult("create-model-deployment", UNCHANGED, f"the deployment {name} exists; nothing sent",
                          values={"openai_deployment": name, "model": f"{model.name} {model.version}",
                                  "sku": f"{existing.sku.name} {existing.sku.capacity}"}, command=command)
    if params.dry_run:
        return StepResult("create-model-deployment", PLANNED, f"dry run: the deployment {name} would be created; "
                          "nothing sent", changes=[f"deploy {params.model_name} {params.model_version} as {name} "
                                                   f"({params.deployment_sku}, capacity {params.deployment_capacity})"],
                          command=command)
    request = models.Deployment(
        sku=models.Sku(name=params.deployment_sku, capacity=params.deployment_capacity),
        properties=models.DeploymentProperties(model=models.DeploymentModel(format="OpenAI", name=params.model_name,
                                                                            version=params.model_version)))
    say(progress, f"deploying {params.model_name} {params.model_version} as {name}")
    dep = clients.cognitive.deployments.begin_create_or_update(group, account, name, request).result()
    state.record_created("openai_deployment", {"id": dep.id, "name": name})
    return StepResult("create-model-deployment", CREATED, f"deployed {params.model_name} as {name}",
                      values={"openai_deployment": name, "model": f"{params.model_name} {params.model_version}",
                              "sku": f"{params.deployment_sku} {params.deployment_capacity}"},
                      command=command, touched=[dep.id])


# -- the store, applied as kubectl apply applies it ---------------------------------------------
def _kube(clients: Any, params: Parameters) -> Any:
    from ..kube import connect

    return connect(clients, params.resource_group, cluster_name(params), params.home)


def _masked(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest with the key's value replaced by a placeholder (how it is compared and shown)."""
    out = copy.deepcopy(manifest)
    for c in out.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
        for e in c.get("env") or []:
            if e.get("name") == KEY_VARIABLE:
                e["value"] = KEY_PLACEHOLDER
    return out


def _applied_matches(obj: dict[str, Any], manifest: dict[str, Any]) -> bool:
    """Whether the object's last-applied-configuration is this manifest (the key compared as a placeholder,
    so no key has to be read to decide)."""
    text = ((obj.get("metadata") or {}).get("annotations") or {}).get(store_manifests.LAST_APPLIED)
    if not text:
        return False
    try:
        applied = json.loads(text)
    except ValueError:
        return False
    return bool(_masked(applied) == json.loads(store_manifests.last_applied_configuration(_masked(manifest))))


def _read(kube: Any, kind: str, name: str) -> dict[str, Any] | None:
    from kubernetes.client.exceptions import ApiException

    read = kube.apps.read_namespaced_deployment if kind == "Deployment" else kube.core.read_namespaced_service
    try:
        doc: dict[str, Any] = kube.api_client.sanitize_for_serialization(read(name, STORE_NAMESPACE))
        return doc
    except ApiException as e:
        if e.status == 404:
            return None
        raise


def _create(kube: Any, obj: dict[str, Any]) -> None:
    """Create as `kubectl apply` does for an object that does not exist: the object with its
    last-applied-configuration annotation, under kubectl's field manager."""
    body = store_manifests.as_applied(obj)
    if obj["kind"] == "Deployment":
        kube.apps.create_namespaced_deployment(STORE_NAMESPACE, body, field_manager=store_manifests.APPLY_MANAGER)
    else:
        kube.core.create_namespaced_service(STORE_NAMESPACE, body, field_manager=store_manifests.APPLY_MANAGER)


def _store_command() -> str:
    return ("kubectl apply -f aks-store-all-in-one.yaml   # product-service and store-admin of aks-store-demo "
            f"{store_manifests.STORE_VERSION}\n"
            "kubectl apply -f ai-service.yaml             # AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_DEPLOYMENT_NAME and "
            "OPENAI_API_KEY filled in")


@explained
def deploy_store(clients: Any, params: Parameters, state: StateFile, progress: Progress | None = None) -> StepResult:
    """The store's objects that are missing are created as `kubectl apply` creates them; one that exists is
    left as it is (it is either what this step applied — unchanged — or something the runbook or you changed
    since, which a re-run must not undo). The account key is read only when ai-service must be created."""
    group, account, deployment = params.resource_group, account_name(params), deployment_name(params)
    ready = _get(lambda: clients.resources.resource_groups.get(group)) is not None and _get(
        lambda: clients.aks.managed_clusters.get(group, cluster_name(params))) is not None and _get(
        lambda: clients.cognitive.accounts.get(group, account)) is not None
    if params.dry_run and not ready:
        return StepResult("deploy-store", PLANNED, "dry run: the store would be applied once the cluster exists; "
                          "nothing sent", changes=["kubectl apply the store (ai-service with its key, product-service, "
                                                   "store-admin)"], command=_store_command())
    acct = clients.cognitive.accounts.get(group, account)
    endpoint = acct.properties.endpoint
    kube = _kube(clients, params)
    wanted = store_manifests.store_workload(endpoint, deployment, KEY_PLACEHOLDER)
    present = {(o["kind"], o["metadata"]["name"]): _read(kube, o["kind"], o["metadata"]["name"]) for o in wanted}
    missing = [o for o in wanted if present[(o["kind"], o["metadata"]["name"])] is None]
    checks = [Check(f"{o['kind']} {o['metadata']['name']}", True,
                    "as applied" if _applied_matches(present[(o["kind"], o["metadata"]["name"])] or {}, o)
                    else "exists, changed since it was applied: left as it is")
              for o in wanted if o not in missing]
    if not missing:
        return StepResult("deploy-store", UNCHANGED, "the store is deployed; nothing sent", checks=checks,
                          values={"namespace": STORE_NAMESPACE}, command=_store_command())
    changes = [f"kubectl apply: create {o['kind']} {STORE_NAMESPACE}/{o['metadata']['name']}" for o in missing]
    if params.dry_run:
        return StepResult("deploy-store", PLANNED, f"dry run: {len(missing)} object(s) would be applied; nothing sent",
                          changes=changes, command=_store_command())
    key: str | None = None
    for obj in missing:
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] == "ai-service":
            if key is None:  # read from Resource Manager, never stored, never printed
                key = str(clients.cognitive.accounts.list_keys(group, account).key1)
            obj = store_manifests.ai_service(endpoint, deployment, key)[0]
        _create(kube, obj)
        checks.append(Check(f"{obj['kind']} {obj['metadata']['name']}", True, "created"))
        say(progress, f"{'deployment.apps' if obj['kind'] == 'Deployment' else 'service'}/{obj['metadata']['name']} "
                      "created")  # as kubectl apply reports it
    state.record_created("store", {"namespace": STORE_NAMESPACE,
                                   "objects": [f"{o['kind']}/{o['metadata']['name']}" for o in wanted]})
    return StepResult("deploy-store", CREATED, f"applied the store: {len(missing)} object(s) created", checks=checks,
                      values={"namespace": STORE_NAMESPACE, "ai-service": "key-based (OPENAI_API_KEY)"},
                      command=_store_command(), touched=[f"{o['kind'].lower()}/{o['metadata']['name']}"
                                                         for o in missing])


@explained
def wait_for_store_admin(clients: Any, params: Parameters, state: StateFile,
                         progress: Progress | None = None) -> StepResult:
    """The store-admin Service's load balancer address (on Azure a public IP takes a minute or two)."""
    from kubernetes import watch

    name = params.store_admin_service
    command = f"kubectl get service {name} --namespace {STORE_NAMESPACE} --watch"
    if params.dry_run:
        return StepResult("wait-for-store-admin", PLANNED, f"dry run: would wait for {name}'s address; nothing sent",
                          command=command)
    kube = _kube(clients, params)

    def address(svc: dict[str, Any] | None) -> str | None:
        ingress = (((svc or {}).get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        return (ingress[0].get("ip") or ingress[0].get("hostname")) if ingress else None

    svc = _read(kube, "Service", name)
    if svc is None:
        raise KeylessError(f"the Service {STORE_NAMESPACE}/{name} does not exist", "run deploy_store first",
                           code="ServiceNotFound")
    found = address(svc)
    deadline = time.monotonic() + params.rollout_timeout
    while found is None and time.monotonic() < deadline:
        say(progress, f"  waiting for {name}'s external address", detail=True)
        w = watch.Watch()
        for event in w.stream(kube.core.list_namespaced_service, STORE_NAMESPACE,
                              field_selector=f"metadata.name={name}",
                              timeout_seconds=max(1, min(int(deadline - time.monotonic()), 30))):
            found = address(kube.api_client.sanitize_for_serialization(event["object"]))
            if found:
                w.stop()
                break
    if found is None:
        return StepResult("wait-for-store-admin", FAILED, f"{name} has no external address after "
                          f"{params.rollout_timeout}s", command=command,
                          hint=f"look at the Service's events: kubectl describe service {name}")
    return StepResult("wait-for-store-admin", OK, f"{name} is reachable at {found}",
                      values={"service": f"{STORE_NAMESPACE}/{name}", "address": found}, command=command)
