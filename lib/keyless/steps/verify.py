"""Test the application: every link of the chain is read on its own, in the article's order (the
cluster's workload identity, the identity, its role, the federated credential, the ServiceAccount,
the Deployment, then the running pod), and the first broken one is named with the notebook that
fixes it. Only when every link holds is ai-service asked for a product description (through the
API server's service proxy), so a broken chain is reported without sending anything.

A description proves the app reaches Azure OpenAI, not how: an app that still holds its key gets
one too. So "keyless" is a check of its own, passed only when proven — from Azure OpenAI's own
record of who called it and how where the target keeps one the runbook can read (the emulator),
else from what can be read: no key in the pod nor in its Deployment, and the account refusing keys
(`disableLocalAuth`). Where neither proves it, the check says "not proven", never passed.
"""
from __future__ import annotations

import time
from typing import Any

from ..params import Parameters
from ..results import FAILED, OK, SKIPPED, Check, StepResult
from ..statefile import StateFile
from ._common import Progress, explained, say
from .chain import fix, links
from .deploy import KEY_VARIABLES, USE_LABEL
from .discover import discovered
from .service_account import kube_for

INJECTED = ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST")
LOCAL_URL_ANNOTATION = "keyless.emulator/local-url"
PRODUCT = {"name": "Contoso Catnip Cloud", "tags": ["cat", "toy", "catnip"]}


def _selector(dep: dict[str, Any]) -> str:
    labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def current_pod(kube: Any, params: Parameters, dep: dict[str, Any]) -> dict[str, Any] | None:
    pods = kube.core.list_namespaced_pod(params.namespace, label_selector=_selector(dep))
    live = [kube.api_client.sanitize_for_serialization(p) for p in pods.items if not p.metadata.deletion_timestamp]
    live.sort(key=lambda p: (p["metadata"].get("creationTimestamp") or "", p["metadata"]["name"]))
    return live[-1] if live else None


def _ready(pod: dict[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def pod_checks(pod: dict[str, Any] | None, params: Parameters, client_id: str) -> list[Check]:
    if pod is None:
        return [Check(f"{params.app} pod exists", False, "no pod found",
                      f"kubectl get pods -n {params.namespace} -l app={params.app}; see the Deployment's events")]
    name = pod["metadata"]["name"]
    phase = (pod.get("status") or {}).get("phase")
    env_names: dict[str, str] = {}
    for c in (pod.get("spec") or {}).get("containers") or []:
        for e in c.get("env") or []:
            env_names[e["name"]] = e.get("value", "")
    missing = [n for n in INJECTED if n not in env_names]
    keys = [n for n in KEY_VARIABLES if n in env_names]
    label = ((pod.get("metadata") or {}).get("labels") or {}).get(USE_LABEL)
    ready = _ready(pod)
    checks = [
        Check("pod running and ready", phase == "Running" and ready, f"{name} is {phase or 'not yet scheduled'}"
              + (" and ready" if ready else " and not ready"),
              f"kubectl describe pod {name} -n {params.namespace}; kubectl logs {name} -n {params.namespace}"),
        Check(f"pod labelled {USE_LABEL}=true", label == "true",
              f"{USE_LABEL}={label}" if label is not None else "not labelled",
              "the webhook only mutates pods labelled on the pod template: " + fix("04")),
        Check("webhook injected AZURE_* variables", not missing,
              "all four present" if not missing else f"missing {', '.join(missing)}",
              "the pod was not mutated (pods are only mutated when they are created): " + fix("04")),
        Check("no API key in the pod", not keys, "none" if not keys else f"found {', '.join(keys)}",
              "remove the key variables from the Deployment: " + fix("04")),
    ]
    if "AZURE_CLIENT_ID" in env_names:
        checks.append(Check("AZURE_CLIENT_ID is the identity's client id", env_names["AZURE_CLIENT_ID"] == client_id,
                            f"{env_names['AZURE_CLIENT_ID']}",
                            "annotate the ServiceAccount with the identity's client id and restart the pods: "
                            + fix("04")))
    return checks


def generate_description(kube: Any, params: Parameters, timeout: float,
                         progress: Progress | None = None) -> tuple[bool, str]:
    """POST /generate/description through the service proxy, retrying with backoff until `timeout`."""
    path = f"/api/v1/namespaces/{params.namespace}/services/{params.app}/proxy/generate/description"
    say(progress, f"asking {params.app} for a product description"
                  + (f" (waits up to {timeout:.0f}s for the role and the federated credential to take effect)"
                     if timeout else " (one attempt: a link above is broken)"))
    deadline, delay, last = time.monotonic() + timeout, 1.0, ""
    attempt = 0
    while True:
        attempt += 1
        per_request = min(60.0, max(10.0, timeout))
        try:
            status, body = kube.raw("POST", path, PRODUCT, timeout=per_request)
        except Exception as e:  # noqa: BLE001 - the proxy can fail while pods restart
            status, body = getattr(e, "status", 0) or 0, getattr(e, "body", None) or _no_answer(e, per_request)
        if status == 200 and isinstance(body, dict) and isinstance(body.get("description"), str):
            return True, body["description"]
        detail = body.get("detail") if isinstance(body, dict) and "detail" in body else body
        last = f"HTTP {status}: {detail}" if status else str(detail)
        if time.monotonic() + delay > deadline:
            return False, last
        say(progress, f"  attempt {attempt} not yet: {_short(last)}; retrying in {delay:.0f}s", detail=True)
        time.sleep(delay)
        delay = min(delay * 2, 15.0)


def _no_answer(exc: BaseException, seconds: float) -> str:
    if "timed out" in str(exc).lower() or isinstance(exc, TimeoutError):
        return f"ai-service gave no answer within {seconds:.0f}s (it may be retrying a sign-in that cannot work)"
    return f"no answer: {type(exc).__name__}"


def _short(text: str, limit: int = 160) -> str:
    from ..errors import scrub

    text = scrub(" ".join(str(text).split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def diagnose(last: str, checks: list[Check]) -> str:
    """The first failing link in chain order with its fix, else what Entra or Azure OpenAI answered."""
    failing = [c for c in checks if not c.ok]
    if failing:
        first = failing[0]
        return f"first failing link: {first.name}" + (f" ({first.detail})" if first.detail else "") + f" — {first.hint}"
    if "AADSTS700211" in last:
        return ("Entra knows no federated credential for the pod token's issuer: the credential's issuer must equal "
                "the cluster's OIDC issuer URL exactly, trailing slash included (notebook 03)")
    if "AADSTS700213" in last or "AADSTS7002138" in last:
        return ("Entra found no federated credential for the pod token's subject: it must be "
                "system:serviceaccount:<namespace>:<service account>, case included (notebook 03)")
    if "AADSTS700212" in last:
        return "the federated credential's audience must be api://AzureADTokenExchange (notebook 03)"
    if "AADSTS70021" in last:
        return ("Entra found no federated credential for the identity yet: it may still be propagating, or compare "
                "issuer and subject (notebook 03)")
    if "PermissionDenied" in last or "401" in last:
        return ("Azure OpenAI refused the identity: the role assignment may still be propagating (up to 10 minutes "
                "on Azure) or is missing (notebook 03)")
    if "AZURE_CLIENT_ID" in last or "DefaultAzureCredential" in last or "ManagedIdentityCredential" in last:
        return "the pod has no workload identity: check the pod label and the ServiceAccount: " + fix("04")
    return "see the last answer above and the pod's logs (kubectl logs -l app=ai-service)"


def store_admin_url(kube: Any, params: Parameters) -> str:
    from kubernetes.client.exceptions import ApiException

    try:
        svc = kube.api_client.sanitize_for_serialization(
            kube.core.read_namespaced_service(params.store_admin_service, params.namespace))
    except ApiException:
        return ""
    ingress = (((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or [{}])[0]
    host = ingress.get("ip") or ingress.get("hostname") or ""
    if not host:
        return ""
    port = ((svc.get("spec") or {}).get("ports") or [{}])[0].get("port", 80)
    url = f"http://{host}" + ("" if port == 80 else f":{port}")
    # a load balancer that cannot bind the Service's port locally (the emulator) names where it listens
    local = ((svc.get("metadata") or {}).get("annotations") or {}).get(LOCAL_URL_ANNOTATION)
    return f"{url} (on this machine: {local})" if local else url


def link_checks(clients: Any, params: Parameters, state: StateFile) -> tuple[list[Check], dict[str, Any] | None]:
    """Every link of the chain in order, read live (reads only), then the current ai-service pod's."""
    reading = links(clients, params, state)
    checks = [link.check for link in reading.links]
    if reading.deployment is None:
        return checks, None
    pod = current_pod(kube_for(clients, params, state), params, reading.deployment)
    return checks + pod_checks(pod, params, (reading.identity or {}).get("client_id", "")), pod


SKIPPED_CALL = ("the product-description request was skipped: it is a POST through the service proxy, which a "
                "dry run never sends")
CALL = "product description generated through ai-service"
KEYLESS = "keyless: Azure OpenAI was called with the workload identity's Entra token, no key"


def _dry_run(clients: Any, params: Parameters, state: StateFile) -> StepResult:
    """Dry run: read every link (reads only) and say which hold, without proving the chain."""
    checks, _ = link_checks(clients, params, state)
    held = sum(c.ok for c in checks)
    return StepResult("verify", SKIPPED, f"dry run: {held} of {len(checks)} links hold; {SKIPPED_CALL}",
                      values={c.name: ("holds" if c.ok else "broken") + (f" ({c.detail})" if c.detail else "")
                              for c in checks})


def keyless_from_record(calls: list[dict[str, Any]], account: str, client_id: str, identity: str) -> Check:
    """Proof from Azure OpenAI's record of the calls made while ai-service answered: every successful call
    to the account carried the identity's Entra token (its client id), none a key."""
    answered = [c for c in calls if c.get("account", "").lower() == account.lower() and c.get("status") == 200]
    keyed = [c for c in answered if c.get("credential") != "entra-token"]
    others = [c for c in answered if c.get("credential") == "entra-token" and c.get("client_id") != client_id]
    if keyed:
        return Check(KEYLESS, False, f"Azure OpenAI's record: {len(keyed)} of {len(answered)} call(s) made with an "
                     f"API key ({keyed[-1].get('principal') or 'a key'})",
                     "the app still signs in with its key: " + fix("04"))
    if others:
        who = others[-1].get("principal") or others[-1].get("client_id")
        return Check(KEYLESS, False, f"Azure OpenAI's record: called with the token of {who}, not {identity}",
                     "the pods run as another identity: " + fix("04"))
    if not answered:
        return Check(KEYLESS, False, "not proven: Azure OpenAI recorded no answered call from ai-service",
                     "run this cell again; if it persists, see the pod's logs")
    return Check(KEYLESS, True, f"Azure OpenAI's record: {len(answered)} call(s), each with {identity}'s Entra token "
                 f"(client id {client_id}), none with a key")


def keyless_from_observation(clients: Any, params: Parameters, found: dict[str, Any]) -> Check:
    """Without a record of the call (Azure): proven only when the account refuses keys (disableLocalAuth) —
    the pod and its Deployment holding no key are links checked above. Otherwise: not proven."""
    account = clients.cognitive.accounts.get(params.resource_group, found["openai_account"])
    if bool(getattr(account.properties, "disable_local_auth", False)):
        return Check(KEYLESS, True, f"{found['openai_account']} refuses keys (disableLocalAuth=true) and the pod "
                     "holds none, so the call carried an Entra token")
    return Check(KEYLESS, True, "not proven: the account still accepts keys (disableLocalAuth is off), so a key "
                 "kept outside the pod could have made the call; the pod and its Deployment hold none",
                 "to prove it, turn key access off (the workload keeps working: it signs in with its token): "
                 f"az resource update --ids {found['openai_account_id']} --set properties.disableLocalAuth=true",
                 proven=False)


@explained
def verify(clients: Any, params: Parameters, state: StateFile, progress: Progress | None = None,
           timeout: float | None = None) -> StepResult:
    if params.dry_run:
        return _dry_run(clients, params, state)
    checks, pod = link_checks(clients, params, state)
    kube = kube_for(clients, params, state)
    found = discovered(clients, params, state)
    values = {"pod": (pod or {}).get("metadata", {}).get("name", "") or "(none)"}
    broken = next((c for c in checks if not c.ok), None)
    if broken is not None:  # read-only: a broken chain is reported, nothing is sent
        checks.append(Check(CALL, False, "not asked: the request is sent only once every link above holds",
                            broken.hint))
        checks.append(Check(KEYLESS, False, "not proven: the chain is broken", broken.hint))
        text = ""
    else:
        record = clients.data_plane_record()
        mark = record.mark() if record is not None else 0
        wait = float(timeout if timeout is not None else params.verify_timeout)
        ok, text = generate_description(kube, params, wait, progress)
        checks.append(Check(CALL, ok, _short(text, 120), diagnose(text, checks)))
        if ok:
            values["description"] = _short(text, 200)
            client_id = state.discovered.get("client_id", "")
            checks.append(keyless_from_record(record.calls_since(mark), found["openai_account"], client_id,
                                              params.identity) if record is not None
                          else keyless_from_observation(clients, params, found))
    url = store_admin_url(kube, params)
    values["store_admin_url"] = url or "(no address yet)"
    good = all(c.ok for c in checks)
    proven = good and all(c.proven for c in checks)
    summary = ("ai-service reaches Azure OpenAI with its workload identity and no key" if proven
               else "ai-service reaches Azure OpenAI; that it does so without a key is not proven" if good
               else "the workload identity chain is broken" if broken is not None
               else "ai-service does not reach Azure OpenAI keyless")
    return StepResult("verify", OK if good else FAILED, summary, values=values, checks=checks,
                      hint="" if good else diagnose(text, checks),
                      command=(f"kubectl get pods -n {params.namespace} -l app={params.app}\n"
                               f"kubectl describe pod -n {params.namespace} -l app={params.app}\n"
                               f"kubectl get svc/{params.store_admin_service} -n {params.namespace} "
                               "-o jsonpath='{.status.loadBalancer.ingress[0].ip}'"))
