"""Redeploy ai-service to use workload identity: the pod-template label
`azure.workload.identity/use: "true"` (what the webhook selects on), the ServiceAccount, the
Entra switches, the account endpoint and deployment name — and no API key.

The current Deployment is read and recorded first (with any key value removed, so the state
file holds no secret); the change is a strategic-merge patch that deletes the key variables;
the rollout is followed with a watch bounded by `rollout_timeout`.
"""
from __future__ import annotations

import copy
import json
import time
from typing import Any

from .. import retry
from ..errors import KeylessError
from ..params import Parameters
from ..results import FAILED, PLANNED, SKIPPED, UNCHANGED, UPDATED, Check, StepResult
from ..statefile import StateFile
from ._common import Progress, explained, say
from .discover import discovered
from .service_account import SMP, kube_for, not_found

USE_LABEL = "azure.workload.identity/use"
KEY_VARIABLES = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY")
RESTORE_MARKER = "keyless/restore-from-listKeys"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def key_in_last_applied(dep: dict[str, Any]) -> bool:
    """`kubectl apply` keeps the whole manifest, key included, in an annotation."""
    text = ((dep.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED) or ""
    return any(name in text for name in KEY_VARIABLES)


def desired_env(found: dict[str, Any]) -> dict[str, str]:
    return {"USE_AZURE_OPENAI": "True", "USE_AZURE_AD": "True",
            "AZURE_OPENAI_DEPLOYMENT_NAME": found["openai_deployment"],
            "AZURE_OPENAI_ENDPOINT": found["openai_endpoint"]}


def container_of(dep: dict[str, Any], app: str) -> dict[str, Any]:
    containers = dep["spec"]["template"]["spec"].get("containers") or []
    if not containers:
        raise KeylessError(f"the Deployment {app} has no containers", "check the prerequisite deployment",
                           code="NoContainer")
    return next((c for c in containers if c.get("name") == app), containers[0])


def differences(dep: dict[str, Any], params: Parameters, found: dict[str, Any]) -> list[str]:
    template = dep["spec"]["template"]
    labels = (template.get("metadata") or {}).get("labels") or {}
    out = []
    if labels.get(USE_LABEL) != "true":
        out.append(f"pod label {USE_LABEL}=true")
    if template["spec"].get("serviceAccountName") != params.service_account:
        out.append(f"serviceAccountName {params.service_account}")
    env = {e["name"]: e for e in container_of(dep, params.app).get("env") or []}
    for name, value in desired_env(found).items():
        if (env.get(name) or {}).get("value") != value:
            out.append(f"env {name}")
    out += [f"remove env {name}" for name in KEY_VARIABLES if name in env]
    if key_in_last_applied(dep):
        out.append(f"remove the key from the {LAST_APPLIED} annotation")
    return out


def _key_values(containers: Any) -> set[str]:
    """The literal values of the key variables in a list of containers."""
    return {str(e["value"]) for c in containers or [] if isinstance(c, dict)
            for e in c.get("env") or [] if isinstance(e, dict) and e.get("name") in KEY_VARIABLES and e.get("value")}


def last_applied_without_key(text: str, keys: set[str]) -> str | None:
    """kubectl's copy of the applied manifest with every key value replaced by the marker, byte for byte
    otherwise (so clean-up can put the annotation back exactly); None when it cannot be read safely."""
    try:
        applied = json.loads(text)
        containers = applied["spec"]["template"]["spec"].get("containers")
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    for value in keys | _key_values(containers):
        text = text.replace(json.dumps(value)[1:-1], RESTORE_MARKER)
    return text


def with_key(text: str, key: str) -> str:
    """The inverse at restore time: the marker replaced by the key read from Resource Manager."""
    return text.replace(RESTORE_MARKER, json.dumps(key)[1:-1])


def without_secrets(dep: dict[str, Any]) -> dict[str, Any]:
    """The Deployment as recorded in the state file: literal key values replaced by a marker, in the
    environment and in kubectl's last-applied-configuration annotation (dropped if it cannot be read)."""
    doc = copy.deepcopy(dep)
    containers = doc["spec"]["template"]["spec"].get("containers") or []
    keys = _key_values(containers)
    for c in containers:
        for e in c.get("env") or []:
            if e.get("name") in KEY_VARIABLES and "value" in e:
                e["value"] = RESTORE_MARKER
    meta = doc.get("metadata") or {}
    doc["metadata"] = {k: meta[k] for k in ("name", "namespace", "labels", "annotations") if k in meta}
    annotations = doc["metadata"].get("annotations") or {}
    if LAST_APPLIED in annotations:
        recorded = last_applied_without_key(annotations[LAST_APPLIED], keys)
        doc["metadata"]["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
        if recorded is not None:
            doc["metadata"]["annotations"][LAST_APPLIED] = recorded
    doc.pop("status", None)
    return doc


def _command(params: Parameters, found: dict[str, Any]) -> str:
    return (f"kubectl patch deployment {params.app} -n {params.namespace} --type strategic -p '"
            f"{{\"spec\":{{\"template\":{{\"metadata\":{{\"labels\":{{\"{USE_LABEL}\":\"true\"}}}},"
            f"\"spec\":{{\"serviceAccountName\":\"{params.service_account}\"}}}}}}}}'\n"
            f"kubectl set env deployment/{params.app} -n {params.namespace} USE_AZURE_OPENAI=True USE_AZURE_AD=True "
            f"AZURE_OPENAI_DEPLOYMENT_NAME={found['openai_deployment']} "
            f"AZURE_OPENAI_ENDPOINT={found['openai_endpoint']} OPENAI_API_KEY- AZURE_OPENAI_API_KEY-\n"
            f"kubectl rollout status deployment/{params.app} -n {params.namespace} --timeout={params.rollout_timeout}s")


def read_deployment(kube: Any, params: Parameters) -> dict[str, Any]:
    from kubernetes.client.exceptions import ApiException

    try:
        dep = kube.apps.read_namespaced_deployment(params.app, params.namespace)
    except ApiException as e:
        if not_found(e):
            raise KeylessError(f"the Deployment {params.namespace}/{params.app} does not exist",
                               "deploy the store app with ai-service first (the prerequisite article)",
                               code="DeploymentNotFound") from None
        raise
    doc: dict[str, Any] = kube.api_client.sanitize_for_serialization(dep)
    return doc


def rollout_complete(dep: dict[str, Any]) -> tuple[bool, str]:
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    want = spec.get("replicas", 1)
    generation = (dep.get("metadata") or {}).get("generation", 0)
    observed = status.get("observedGeneration", 0)
    updated, ready = status.get("updatedReplicas", 0) or 0, status.get("readyReplicas", 0) or 0
    total, available = status.get("replicas", 0) or 0, status.get("availableReplicas", 0) or 0
    text = f"{updated}/{want} updated, {ready}/{want} ready, {total} in total"
    done = observed >= generation and updated == want and available >= want and ready >= want and total == want
    return done, text


def wait_for_rollout(kube: Any, params: Parameters, progress: Progress | None = None,
                     timeout: float | None = None) -> tuple[bool, str]:
    """Follow the Deployment with a watch until the new pods are ready, or `timeout` runs out."""
    from kubernetes import watch

    timeout = float(timeout or params.rollout_timeout)
    deadline = time.monotonic() + timeout
    done, text = rollout_complete(read_deployment(kube, params))
    last = ""
    while not done:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False, text

        def watch_once(remaining: float = remaining, text: str = text) -> tuple[bool, str]:
            nonlocal last
            done = False
            w = watch.Watch()
            for event in w.stream(kube.apps.list_namespaced_deployment, params.namespace,
                                  field_selector=f"metadata.name={params.app}",
                                  timeout_seconds=max(1, min(int(remaining), 30))):
                obj = kube.api_client.sanitize_for_serialization(event["object"])
                done, text = rollout_complete(obj)
                if text != last:
                    say(progress, f"  rollout of {params.app}: {text}", detail=True)
                    last = text
                if done or time.monotonic() > deadline:
                    w.stop()
                    break
            return done, text

        # a watch cut mid-stream is reopened after keyless.retry's backoff (it changes nothing)
        done, text = retry.call(watch_once, what=f"watching the rollout of {params.app}")
    return True, text


def _wait_result(kube: Any, params: Parameters, found: dict[str, Any], status: str, summary: str,
                 progress: Progress | None, touched: list[str]) -> StepResult:
    ok, text = wait_for_rollout(kube, params, progress)
    values = {"deployment": f"{params.namespace}/{params.app}", "rollout": text}
    if not ok:
        return StepResult("redeploy-app", FAILED, f"{summary}, but the rollout did not finish within "
                          f"{params.rollout_timeout}s", values=values, command=_command(params, found), touched=touched,
                          hint=f"look at the pods: kubectl get pods -n {params.namespace} -l app={params.app}; "
                               f"kubectl describe pod -n {params.namespace} -l app={params.app}")
    return StepResult("redeploy-app", status, summary, values=values, command=_command(params, found), touched=touched)


@explained
def redeploy_app(clients: Any, params: Parameters, state: StateFile, progress: Progress | None = None) -> StepResult:
    from .chain import require  # here, not at the top: the chain reads the links these steps build

    # removing the key is safe only once every link the pods will sign in through holds
    require(clients, params, state, f"redeploying {params.app} without its key",
            ("cluster", "identity", "role", "federation", "service_account"))
    found = discovered(clients, params, state)
    kube = kube_for(clients, params, state)
    dep = read_deployment(kube, params)
    missing = differences(dep, params, found)
    if not missing:
        done, text = rollout_complete(dep)
        if done or params.dry_run:
            return StepResult("redeploy-app", UNCHANGED,
                              f"{params.app} already uses workload identity and no key; nothing sent",
                              values={"deployment": f"{params.namespace}/{params.app}", "rollout": text},
                              command=_command(params, found))
        return _wait_result(kube, params, found, UNCHANGED, f"{params.app} already uses workload identity",
                            progress, [])
    if params.dry_run:
        return StepResult("redeploy-app", PLANNED, f"dry run: {params.app} would be patched and rolled out; nothing "
                          "sent", values={"deployment": f"{params.namespace}/{params.app}"},
                          changes=[f"Deployment {params.namespace}/{params.app}: {change}" for change in missing],
                          command=_command(params, found))
    state.record_original("deployment", without_secrets(dep))
    container = container_of(dep, params.app)
    env = [{"name": k, "value": v} for k, v in desired_env(found).items()]
    env += [{"name": k, "$patch": "delete"} for k in KEY_VARIABLES
            if any(e.get("name") == k for e in container.get("env") or [])]
    patch: dict[str, Any] = {"spec": {"template": {"metadata": {"labels": {USE_LABEL: "true"}},
                                   "spec": {"serviceAccountName": params.service_account,
                                            "containers": [{"name": container["name"], "env": env}]}}}}
    if key_in_last_applied(dep):
        patch["metadata"] = {"annotations": {LAST_APPLIED: None}}
    say(progress, f"patching {params.app}: {', '.join(missing)}")
    with state.intent("deployment_changed", {"namespace": params.namespace, "name": params.app}):
        kube.apps.patch_namespaced_deployment(params.app, params.namespace, patch, _content_type=SMP)
    return _wait_result(kube, params, found, UPDATED, f"redeployed {params.app} with workload identity and no key",
                        progress, [f"deployment/{params.app}"])


@explained
def remove_pod_label(clients: Any, params: Parameters, state: StateFile,
                     progress: Progress | None = None) -> StepResult:
    """The learner exercise: take the webhook's label off the pod template (breaks the link). A dry run
    skips it: it exists to break and mend the chain, which only means something when it really runs; so does
    `exercise = False` (a pipeline that must not take the app down)."""
    if not params.exercise:
        return StepResult("remove-pod-label", SKIPPED, "exercise = False: the exercise is skipped; nothing sent")
    if params.dry_run:
        return StepResult("remove-pod-label", SKIPPED, "dry run: the exercise is skipped (it would change the "
                          f"Deployment {params.app}); nothing sent")
    from .chain import ORDER, require  # here, not at the top: the chain reads the links these steps build

    require(clients, params, state, "the exercise", ORDER)  # it breaks a chain that must be whole first
    found = discovered(clients, params, state)
    kube = kube_for(clients, params, state)
    patch = {"spec": {"template": {"metadata": {"labels": {USE_LABEL: None}}}}}
    kube.apps.patch_namespaced_deployment(params.app, params.namespace, patch, _content_type=SMP)
    result = _wait_result(kube, params, found, UPDATED, f"removed the label {USE_LABEL} from {params.app}'s pods",
                          progress, [f"deployment/{params.app}"])
    result.step = "remove-pod-label"
    result.command = (f"kubectl patch deployment {params.app} -n {params.namespace} --type json "
                      "-p '[{\"op\":\"remove\","
                      "\"path\":\"/spec/template/metadata/labels/azure.workload.identity~1use\"}]'")
    result.checks.append(Check("label removed from the pod template", True))
    return result
