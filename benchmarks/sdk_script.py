"""The runbook's whole work as a minimal script: the same SDKs and kubectl, no runbook library, no
notebooks. It is the baseline `runbook_bench.py` times `python -m keyless run` against: what a careful
engineer would type to do the same — the article's steps, the exercise (break the pod label, see the
call fail, mend it), key access off with the old key refused, and clean-up — with no checks before
acting, no state file, no retries beyond the SDKs' own and no explanations.

    python benchmarks/sdk_script.py WORKDIR

Reads the service principal and the emulator from the environment `python -m keyless_emulator env`
prints (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST,
AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_MANAGER_URL, REQUESTS_CA_BUNDLE); kubectl beside the Python
it runs with. Exits non-zero at the first step that does not do what it should.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
import yaml
from azure.identity import ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.models import RoleAssignmentCreateParameters
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.containerservice import ContainerServiceClient, models
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.msi.models import FederatedIdentityCredential

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))
from store_manifests import article  # noqa: E402  (the article's manifests: data, not the runbook)

RG, IDENTITY, FIC, SA, APP, NS = "myResourceGroup", "myIdentity", "myFedIdentity", "ai-service-account", \
    "ai-service", "default"
ROLE = "Cognitive Services OpenAI User"
SUBJECT = f"system:serviceaccount:{NS}:{SA}"
PRODUCT = {"name": "Contoso Catnip Cloud", "tags": ["cat", "toy", "catnip"]}
KUBECTL = str(Path(sys.executable).parent / "kubectl")


_LAST = [time.perf_counter()]


def mark(what: str) -> None:
    """Print how long the part just finished took (where the baseline's own time goes)."""
    now = time.perf_counter()
    print(f"{now - _LAST[0]:6.2f}s  {what}", flush=True)
    _LAST[0] = now


def main(work: Path) -> None:
    env = os.environ
    arm, ca = env["AZURE_RESOURCE_MANAGER_URL"].rstrip("/"), env["REQUESTS_CA_BUNDLE"]
    meta = requests.get(f"{arm}/metadata/endpoints?api-version=2022-09-01", verify=ca, timeout=30).json()
    scope = meta["authentication"]["audiences"][0].rstrip("/") + "/.default"
    cred = ClientSecretCredential(env["AZURE_TENANT_ID"], env["AZURE_CLIENT_ID"], env["AZURE_CLIENT_SECRET"],
                                  authority=env["AZURE_AUTHORITY_HOST"], connection_verify=ca,
                                  disable_instance_discovery=True)  # an authority MSAL does not know
    sub = env["AZURE_SUBSCRIPTION_ID"]

    def client(cls):  # type: ignore[no-untyped-def]
        return cls(cred, sub, base_url=arm, credential_scopes=[scope], connection_verify=ca)

    aks, msi = client(ContainerServiceClient), client(ManagedServiceIdentityClient)
    auth, cog = client(AuthorizationManagementClient), client(CognitiveServicesManagementClient)

    # 00: what the prerequisite article made
    cluster = next(iter(aks.managed_clusters.list_by_resource_group(RG)))
    account = next(a for a in cog.accounts.list_by_resource_group(RG) if a.kind == "OpenAI")
    deployment = next(iter(cog.deployments.list(RG, account.name))).name
    endpoint = account.properties.endpoint

    mark("00 discovered")

    # 01: OIDC issuer and workload identity
    mc = aks.managed_clusters.get(RG, cluster.name)
    mc.oidc_issuer_profile = models.ManagedClusterOIDCIssuerProfile(enabled=True)
    mc.security_profile = mc.security_profile or models.ManagedClusterSecurityProfile()
    mc.security_profile.workload_identity = models.ManagedClusterSecurityProfileWorkloadIdentity(enabled=True)
    issuer = aks.managed_clusters.begin_create_or_update(RG, cluster.name, mc).result().oidc_issuer_profile.issuer_url

    mark("01 cluster updated")

    # 02: the identity; 03: its role at the account's scope and the federated credential
    ident = msi.user_assigned_identities.create_or_update(RG, IDENTITY, {"location": cluster.location})
    role_id = next(iter(auth.role_definitions.list(account.id, filter=f"roleName eq '{ROLE}'"))).id
    auth.role_assignments.create(account.id, str(uuid.uuid4()), RoleAssignmentCreateParameters(
        role_definition_id=role_id, principal_id=ident.principal_id, principal_type="ServicePrincipal"))
    msi.federated_identity_credentials.create_or_update(RG, IDENTITY, FIC, FederatedIdentityCredential(
        issuer=issuer, subject=SUBJECT, audiences=["api://AzureADTokenExchange"]))

    mark("02-03 identity, role, federated credential")

    # 04: kubeconfig, the ServiceAccount, ai-service without its key
    kubeconfig = work / "kubeconfig"
    creds = aks.managed_clusters.list_cluster_user_credentials(RG, cluster.name)
    kubeconfig.write_bytes(creds.kubeconfigs[0].value)

    def kubectl(*args: str, stdin: str | None = None) -> str:
        return subprocess.run([KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(work / "kube-cache"),
                               *args], input=stdin, capture_output=True, text=True, check=True).stdout

    original = kubectl("get", "deployment", APP, "-n", NS, "-o", "json")
    manifest = article.AI_SERVICE_DEPLOYMENT.format(deployment=deployment, endpoint=endpoint)
    kubectl("apply", "-f", "-", stdin=article.SERVICE_ACCOUNT.format(client_id=ident.client_id))
    kubectl("apply", "-f", "-", stdin=manifest)
    kubectl("rollout", "status", f"deployment/{APP}", "-n", NS, "--timeout=300s")

    mark("04 ServiceAccount and Deployment rolled out")

    # 05: pods, logs, a product description through ai-service (the service proxy)
    proxy = f"/api/v1/namespaces/{NS}/services/{APP}/proxy/generate/description"
    (work / "product.json").write_text(json.dumps(PRODUCT))

    def describe(until: float) -> bool:
        deadline = time.monotonic() + until
        while True:
            done = subprocess.run([KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(work / "kube-cache"),
                                   "create", "--raw", proxy, "-f", str(work / "product.json")],
                                  capture_output=True, text=True)
            if done.returncode == 0 and "description" in done.stdout:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(1)

    kubectl("get", "pods", "-n", NS, "--selector", f"app={APP}")
    kubectl("logs", "-n", NS, "--selector", f"app={APP}")
    kubectl("get", "service", "store-admin", "-n", NS)
    assert describe(60), "ai-service did not answer keyless"

    mark("05 verified")

    # 05's exercise: without the pod label the call fails; put back, it works again
    kubectl("patch", "deployment", APP, "-n", NS, "--type", "json", "-p",
            '[{"op":"remove","path":"/spec/template/metadata/labels/azure.workload.identity~1use"}]')
    kubectl("rollout", "status", f"deployment/{APP}", "-n", NS, "--timeout=300s")
    pods = json.loads(kubectl("get", "pods", "-n", NS, "--selector", f"app={APP}", "-o", "json"))["items"]
    injected = [v["name"] for p in pods if not p["metadata"].get("deletionTimestamp")
                for c in p["spec"]["containers"] for v in c.get("env") or []]
    assert "AZURE_FEDERATED_TOKEN_FILE" not in injected, "the webhook still injects the token without the label"
    kubectl("apply", "-f", "-", stdin=manifest)
    kubectl("rollout", "status", f"deployment/{APP}", "-n", NS, "--timeout=300s")
    assert describe(60), "ai-service did not answer once mended"

    mark("05 exercise")

    # 06: key access off; the old key is refused; the workload still answers
    import openai
    old_key = cog.accounts.list_keys(RG, account.name).key1
    cog.accounts.begin_update(RG, account.name, {"properties": {"disableLocalAuth": True}}).result()
    try:
        openai.AzureOpenAI(azure_endpoint=endpoint, api_key=old_key, api_version="2024-10-21", max_retries=0,
                           http_client=openai.DefaultHttpxClient(verify=ca)).chat.completions.create(
            model=deployment, max_tokens=1, messages=[{"role": "user", "content": "ping"}])
        raise AssertionError("the old key was accepted")
    except openai.PermissionDeniedError:
        pass
    assert describe(60), "ai-service did not answer with key access off"

    mark("06 key access off")

    # 99: clean-up: key access back on, the original Deployment back (its key still valid: 06 regenerated
    # none), the rest deleted, workload identity off again
    cog.accounts.begin_update(RG, account.name, {"properties": {"disableLocalAuth": False}}).result()
    doc = json.loads(original)
    meta_keep = {k: doc["metadata"][k] for k in ("name", "namespace", "labels", "annotations") if k in doc["metadata"]}
    doc = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta_keep, "spec": doc["spec"]}
    kubectl("replace", "-f", "-", stdin=yaml.safe_dump(doc))
    kubectl("rollout", "status", f"deployment/{APP}", "-n", NS, "--timeout=300s")
    kubectl("delete", "serviceaccount", SA, "-n", NS)
    msi.federated_identity_credentials.delete(RG, IDENTITY, FIC)
    for assignment in auth.role_assignments.list_for_scope(account.id, filter="atScope()"):
        if assignment.principal_id == ident.principal_id:
            auth.role_assignments.delete_by_id(assignment.id)
    msi.user_assigned_identities.delete(RG, IDENTITY)
    mc = aks.managed_clusters.get(RG, cluster.name)
    mc.security_profile.workload_identity.enabled = False
    aks.managed_clusters.begin_create_or_update(RG, cluster.name, mc).result()
    mark("99 cleaned up")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
