"""Each tenant's progress through the article, link by link, read from the state (the facilitator's dashboard).

A link counts as done when the tenant's own resources show it, whatever tool made it (the runbook,
az, kubectl): the same facts the runbook's verification checks, read here without HTTP.

    workload_identity       a cluster of the tenant with the OIDC issuer and workload identity on
    identity                a user-assigned managed identity
    role                    Cognitive Services OpenAI User assigned to one of those identities on an account
    federated_credential    a federated identity credential on one of those identities
    service_account         a ServiceAccount annotated with azure.workload.identity/client-id
    redeploy                a Deployment whose pods use workload identity (label + service account), no API key
    description             a chat completion answered 200 to one of the tenant's managed identities
"""
from __future__ import annotations

from typing import Any

from .backend import Backend
from .state import EmulatorState

LINKS = ("workload_identity", "identity", "role", "federated_credential", "service_account", "redeploy",
         "description")
LABELS = {"workload_identity": "workload identity on", "identity": "identity", "role": "role",
          "federated_credential": "federated credential", "service_account": "service account",
          "redeploy": "redeploy", "description": "keyless description"}
OPENAI_USER_ROLE = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"  # Cognitive Services OpenAI User
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
USE_LABEL = "azure.workload.identity/use"
FEDERATED_CREDENTIAL_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"


def _of_type(state: EmulatorState, subs: list[str], type_: str) -> list[dict[str, Any]]:
    prefixes = tuple(f"/subscriptions/{s}/".lower() for s in subs)
    return [d for d in state.resources.of_type(type_) if d["id"].lower().startswith(prefixes)]


def _cluster_links(backend: Backend, clusters: list[dict[str, Any]]) -> dict[str, bool]:
    """What the tenant's clusters' API servers hold: the annotated ServiceAccount, the redeployed app."""
    found = {"service_account": False, "redeploy": False}
    section = backend.state.sections.get("kubernetes")
    if section is None:
        return found
    for doc in clusters:
        store = section.store_for(doc)  # type: ignore[attr-defined]
        if store is None:
            continue
        accounts = store.list("serviceaccounts")[0]
        annotated = {a["metadata"]["name"] for a in accounts
                     if (a["metadata"].get("annotations") or {}).get(CLIENT_ID_ANNOTATION)}
        found["service_account"] |= bool(annotated)
        for deployment in store.list("deployments")[0]:
            template = deployment.get("spec", {}).get("template", {})
            labels = template.get("metadata", {}).get("labels") or {}
            spec = template.get("spec", {})
            env = [e.get("name", "") for c in spec.get("containers", []) for e in c.get("env") or []]
            if (labels.get(USE_LABEL) == "true" and spec.get("serviceAccountName") in annotated
                    and not any(name.endswith("API_KEY") for name in env)):
                found["redeploy"] = True
    return found


def tenant_progress(backend: Backend, tenant_id: str) -> dict[str, bool]:
    state = backend.state
    with state.lock:
        subs = [s.id for s in state.subscriptions.values() if s.tenant_id == tenant_id]
        clusters = _of_type(state, subs, "Microsoft.ContainerService/managedClusters")
        identities = _of_type(state, subs, "Microsoft.ManagedIdentity/userAssignedIdentities")
        identity_principals = {(i.get("properties") or {}).get("principalId") for i in identities}
        assignments = _of_type(state, subs, "Microsoft.Authorization/roleAssignments")
        credentials = _of_type(state, subs, FEDERATED_CREDENTIAL_TYPE)
        managed = {p.object_id for p in state.principals.values()
                   if p.tenant_id == tenant_id and p.kind == "ManagedIdentity"}
        progress = {
            "workload_identity": any(
                (c["properties"].get("oidcIssuerProfile") or {}).get("enabled")
                and ((c["properties"].get("securityProfile") or {}).get("workloadIdentity") or {}).get("enabled")
                for c in clusters),
            "identity": bool(identities),
            "role": any(a["properties"].get("roleDefinitionId", "").lower().endswith(OPENAI_USER_ROLE)
                        and a["properties"].get("principalId") in identity_principals
                        and "/providers/microsoft.cognitiveservices/accounts/" in a["properties"]["scope"].lower()
                        for a in assignments),
            "federated_credential": bool(credentials),
            **_cluster_links(backend, clusters),
        }
    progress["description"] = any(
        e.status == 200 and e.principal_id in managed and e.path.lower().endswith("/chat/completions")
        for e in backend.log.entries())
    return {link: bool(progress[link]) for link in LINKS}


def room(backend: Backend) -> list[dict[str, Any]]:
    """Every tenant, its progress and how many links are done (the default tenant is the operator's own)."""
    state = backend.state
    with state.lock:
        tenants = sorted(state.tenants.values(), key=lambda t: t.name)
    out = []
    for t in tenants:
        links = tenant_progress(backend, t.id)
        out.append({"name": t.name, "tenant_id": t.id, "links": links, "done": sum(links.values()),
                    "total": len(LINKS)})
    return out
