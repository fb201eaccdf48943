"""Test the application: every link of the chain is checked on its own, then the whole chain is
proved by generating a product description through ai-service (reached through the API
server's service proxy), which only works if the pod's token is exchanged for an Entra token
that Azure OpenAI accepts.

The links: pod running and ready; the webhook's AZURE_* variables injected and no API key in the
pod; the ServiceAccount annotated with the identity's client id; the pod labelled for the
webhook; the federated credential's issuer = the cluster's issuer and subject = the pod's
service account; the role at the account's scope. Waiting is bounded and says what it waits
for; when time runs out the failing link is named.
"""
from __future__ import annotations

import time
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from ..params import Parameters
from ..results import FAILED, OK, SKIPPED, Check, StepResult
from ..statefile import StateFile
from ._common import Progress, explained, say
from .deploy import KEY_VARIABLES, USE_LABEL, read_deployment
from .discover import discovered
from .federation import AUDIENCE
from .managed_identity import existing_identity, identity_values
from .role_assignment import ROLE_NAME, existing_assignment, role_definition_id
from .service_account import CLIENT_ID_ANNOTATION, kube_for, not_found
from .workload_identity import issuer_url

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
        return [Check("ai-service pod exists", False, "no pod found",
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
    checks = [
        Check("pod running and ready", phase == "Running" and _ready(pod), f"{name} is {phase}"
              + (" and ready" if _ready(pod) else " and not ready"),
              f"kubectl describe pod {name} -n {params.namespace}; kubectl logs {name} -n {params.namespace}"),
        Check(f"pod labelled {USE_LABEL}=true", label == "true", f"label is {label!r}",
              "the webhook only mutates pods with this label on the pod template: run notebook 04 again"),
        Check("webhook injected AZURE_* variables", not missing,
              "all four present" if not missing else f"missing {', '.join(missing)}",
              "the pod was not mutated: check the pod label and that workload identity is enabled (notebook 01); "
              "pods are only mutated when they are created"),
        Check("no API key in the pod", not keys, "none" if not keys else f"found {', '.join(keys)}",
              "remove the key variables from the Deployment (notebook 04)"),
    ]
    if "AZURE_CLIENT_ID" in env_names:
        checks.append(Check("AZURE_CLIENT_ID is the identity's client id", env_names["AZURE_CLIENT_ID"] == client_id,
                            f"{env_names['AZURE_CLIENT_ID']}",
                            "annotate the ServiceAccount with the right client id and restart the pods"))
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
    failing = [c for c in checks if not c.ok]
    if failing:
        return f"first failing link: {failing[0].name} — {failing[0].hint}"
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
        return "the pod has no workload identity: check the pod label and the ServiceAccount (notebook 04)"
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
    """Every link of the chain, read on its own (reads only), and the current ai-service pod."""
    found = discovered(clients, params, state)
    ident = identity_values(clients, params, state)
    kube = kube_for(clients, params, state)
    dep = read_deployment(kube, params)
    pod = current_pod(kube, params, dep)
    checks = pod_checks(pod, params, ident["client_id"])

    sa_name = ((pod or {}).get("spec") or {}).get("serviceAccountName") or params.service_account
    try:
        sa = kube.api_client.sanitize_for_serialization(
            kube.core.read_namespaced_service_account(sa_name, params.namespace))
    except Exception as e:  # a missing link is a failed check, not a crash
        if not not_found(e):
            raise
        sa = {}
    annotation = ((sa.get("metadata") or {}).get("annotations") or {}).get(CLIENT_ID_ANNOTATION)
    checks.append(Check(f"ServiceAccount {sa_name} annotated with the client id", annotation == ident["client_id"],
                        f"{CLIENT_ID_ANNOTATION}={annotation}" if sa else "the ServiceAccount does not exist",
                        "run notebook 04 (service account) again"))

    issuer = issuer_url(clients, params, state)
    subject = f"system:serviceaccount:{params.namespace}:{sa_name}"
    try:
        fic = clients.msi.federated_identity_credentials.get(params.resource_group, params.identity,
                                                             params.federated_credential)
    except ResourceNotFoundError:
        checks.append(Check("federated credential exists", False, f"{params.federated_credential} not found",
                            "create it (notebook 03)"))
    else:
        checks.append(Check("federated credential issuer is the cluster's issuer", fic.issuer == issuer,
                            fic.issuer, f"the cluster's issuer is {issuer}: recreate the credential (notebook 03)"))
        checks.append(Check("federated credential subject is the pod's service account", fic.subject == subject,
                            fic.subject, f"the pod's token subject is {subject}: recreate the credential "
                                         "(notebook 03)"))
        checks.append(Check("federated credential audience", AUDIENCE in (fic.audiences or []),
                            ", ".join(fic.audiences or []), f"the audience must be {AUDIENCE}"))
    scope = found["openai_account_id"]
    role = existing_assignment(clients, scope, ident["principal_id"], role_definition_id(clients, scope))
    checks.append(Check(f"{ROLE_NAME} at the account scope", role is not None, scope.rsplit("/", 1)[-1],
                        "assign the role (notebook 03)"))

    return checks, pod


SKIPPED_CALL = ("the product-description request was skipped: it is a POST through the service proxy, which a "
                "dry run never sends")


def _dry_run(clients: Any, params: Parameters, state: StateFile) -> StepResult:
    """Dry run: read every link (reads only) and say which hold, without proving the chain."""
    if existing_identity(clients, params, state) is None:
        return StepResult("verify", SKIPPED, f"dry run: nothing to verify yet (the identity {params.identity} does "
                          f"not exist); {SKIPPED_CALL}")
    checks, _ = link_checks(clients, params, state)
    held = sum(c.ok for c in checks)
    return StepResult("verify", SKIPPED, f"dry run: {held} of {len(checks)} links hold; {SKIPPED_CALL}",
                      values={c.name: ("holds" if c.ok else "broken") + (f" ({c.detail})" if c.detail else "")
                              for c in checks})


@explained
def verify(clients: Any, params: Parameters, state: StateFile, progress: Progress | None = None,
           timeout: float | None = None) -> StepResult:
    if params.dry_run:
        return _dry_run(clients, params, state)
    checks, pod = link_checks(clients, params, state)
    kube = kube_for(clients, params, state)
    wait = float(timeout if timeout is not None else params.verify_timeout) if all(c.ok for c in checks) else 0.0
    ok, text = generate_description(kube, params, wait, progress)
    checks.append(Check("product description generated with the workload's token", ok, _short(text, 120),
                        diagnose(text, checks)))
    url = store_admin_url(kube, params)
    values = {"pod": (pod or {}).get("metadata", {}).get("name", ""), "store_admin_url": url or "(no address yet)"}
    if ok:
        values["description"] = _short(text, 200)
    good = all(c.ok for c in checks)
    return StepResult("verify", OK if good else FAILED,
                      "ai-service reaches Azure OpenAI with its workload identity and no key" if good
                      else "the workload identity chain is broken", values=values, checks=checks,
                      hint="" if good else diagnose(text, checks[:-1]),
                      command=(f"kubectl get pods -n {params.namespace} -l app={params.app}\n"
                               f"kubectl describe pod -n {params.namespace} -l app={params.app}\n"
                               f"kubectl get svc/{params.store_admin_service} -n {params.namespace} "
                               "-o jsonpath='{.status.loadBalancer.ingress[0].ip}'"))
