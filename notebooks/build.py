"""Write the runbook's notebooks from this one reviewable script: `python notebooks/build.py`.

The committed notebooks also carry the outputs recorded on the deterministic emulator
(`python -m keyless record`). Rebuilding keeps the recorded outputs of every cell whose source is
unchanged (a changed cell loses its outputs until it is recorded again);
`python notebooks/build.py --clear-outputs` writes the bare sources.

Each notebook: a title and why the step matters (our own words), one `parameters`-tagged cell
generated from `keyless.Parameters` (the single source of defaults), one `init` call, then one
short call per step whose result shows the outcome and the equivalent az/kubectl command.
Cell ids are stable (`<notebook>-<n>`) and the kernelspec is `python3`, so diffs stay small.
"""
from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lib"))

from keyless.params import Parameters  # noqa: E402
from keyless.recording import keep_outputs, write  # noqa: E402

COMMENTS = {
    "target": "emulator (offline, no subscription needed) or azure",
    "resource_group": "the prerequisite article's resource group",
    "cluster": "empty: the only AKS cluster in the resource group",
    "openai_account": "empty: the only Azure OpenAI account in the resource group",
    "openai_deployment": "empty: the only model deployment of that account",
    "identity": "the user-assigned managed identity to create",
    "federated_credential": "the federated identity credential to create",
    "namespace": "the Kubernetes namespace of ai-service",
    "service_account": "the Kubernetes ServiceAccount to create",
    "app": "the Deployment to redeploy",
    "store_admin_service": "the Service that exposes the store admin site",
    "location": "empty: the resource group's location",
    "subscription": "empty: the only (or default) subscription you can see",
    "cloud": "AzureCloud, AzureUSGovernment or AzureChinaCloud",
    "data_dir": "empty: $KEYLESS_HOME, else the nearest .keyless folder here or above (state, emulator)",
    "rollout_timeout": "seconds to wait for the ai-service rollout",
    "verify_timeout": "seconds to wait for a generated description",
    "restore_deployment": "clean-up puts the original ai-service Deployment back",
    "dry_run": "clean-up only lists what it would remove",
}

INIT = "import keyless\n\nrb = keyless.init(globals())\nrb"


def parameters_cell() -> str:
    defaults = Parameters()
    lines = ["# Parameters (papermill injects overrides below this cell; secrets are never parameters)"]
    for f in fields(Parameters):
        value = getattr(defaults, f.name)
        lines.append(f"{f.name} = {value!r}  # {COMMENTS[f.name]}")
    return "\n".join(lines)


def notebook(stem: str, cells: list[tuple[str, str] | tuple[str, str, list[str]]]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    prefix = stem.split("-", 1)[0]
    for i, spec in enumerate(cells):
        kind, source = spec[0], spec[1]
        tags = spec[2] if len(spec) > 2 else []
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell["id"] = f"nb{prefix}-{i:02d}"
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    return nb


def common_head(title: str, why: str) -> list:
    return [("md", f"# {title}\n\n{why}"),
            ("code", parameters_cell(), ["parameters"]),
            ("md", "Connect to the target (the emulator, or Azure with your `az login`) and open this environment's "
                   "state file, so this notebook can run on its own once the earlier ones have run."),
            ("code", INIT)]


NOTEBOOKS = {
    "00-before-you-begin": common_head(
        "Secure access to Azure OpenAI from AKS — before you begin",
        "This runbook takes the store app from the prerequisite article — whose `ai-service` talks to Azure OpenAI "
        "with an **API key** — and moves it to **Microsoft Entra Workload ID**: the pod proves who it is with a "
        "token Kubernetes signs, Entra trades it for an access token, and no key is stored anywhere.\n\n"
        "What must already exist: a resource group with an AKS cluster running the store app (including "
        "`ai-service`), and an Azure OpenAI account with a **custom subdomain** (Entra authentication needs it) and "
        "a chat model deployment. With `target = \"emulator\"` all of this is simulated offline.") + [
        ("md", "Review the values. In JupyterLab this shows a form with suggestions from your subscription; you may "
               "type any value. Nothing waits for a click: the next cell simply reads what the form holds. Run "
               "headless (papermill), it prints the values instead."),
        ("code", "form = rb.form()"),
        ("code", "rb.apply(form)"),
        ("md", "Find the cluster, the Azure OpenAI account and its deployment. Where the article takes the first "
               "match, the runbook refuses to guess when there are several and asks you to name one."),
        ("code", "rb.discover()"),
    ],
    "01-enable-workload-identity": common_head(
        "1. Enable the OIDC issuer and workload identity",
        "Entra can only trust tokens it can verify. The **OIDC issuer** publishes the cluster's signing keys at a "
        "public URL; **workload identity** installs the webhook that hands pods a projected service account token "
        "and the variables the Azure SDKs look for. The cluster update is a long-running operation on Azure "
        "(minutes); if both are already on, nothing is sent.") + [
        ("code", "rb.discover()"),
        ("code", "rb.enable_workload_identity()"),
    ],
    "02-create-managed-identity": common_head(
        "2. Create a user-assigned managed identity",
        "This identity is what ai-service will *be* when it calls Azure OpenAI. Its **client id** goes on the "
        "Kubernetes ServiceAccount; its **principal id** receives the role. It is a separate, long-lived object, "
        "so deleting pods or even the cluster does not delete it.") + [
        ("code", "rb.create_managed_identity()"),
    ],
    "03-create-federated-credential": common_head(
        "3. Grant the role and create the federated credential",
        "Two links of trust. The **role assignment** lets the identity call the model — *Cognitive Services OpenAI "
        "User* on the Azure OpenAI account only (least privilege: not the resource group, not the subscription). "
        "The **federated identity credential** tells Entra which Kubernetes tokens may act as the identity: issuer = "
        "the cluster's OIDC issuer URL (exactly, trailing slash included), subject = "
        "`system:serviceaccount:<namespace>:<service account>`, audience `api://AzureADTokenExchange`. Role "
        "assignments and credentials can take a little while to propagate on Azure.") + [
        ("code", "rb.assign_openai_role()"),
        ("code", "rb.create_federated_credential()"),
    ],
    "04-use-workload-identity-on-aks": common_head(
        "4. Use workload identity in the cluster",
        "The ServiceAccount names the identity (annotation `azure.workload.identity/client-id`). The Deployment "
        "then opts its pods in with the **pod-template label** `azure.workload.identity/use: \"true\"` (the webhook "
        "only looks at labelled pods, and only when they are created), runs them as that ServiceAccount, switches "
        "ai-service to Entra (`USE_AZURE_AD=True`) and **removes the API key**. The original Deployment is recorded "
        "so clean-up can put it back.") + [
        ("code", "rb.create_service_account()"),
        ("code", "rb.redeploy_app()"),
    ],
    "05-test-the-application": common_head(
        "5. Test the application",
        "Each link is checked on its own — pod ready, variables injected, no key, ServiceAccount annotated, pod "
        "labelled, credential issuer and subject matching the cluster and the pod, role at the account — and then "
        "the whole chain is proved by asking ai-service for a product description, which only works if Azure "
        "OpenAI accepts the workload's token.") + [
        ("code", "rb.verify()"),
        ("md", "## Exercise: break a link and watch it fail\n\nTake the webhook's label off the pod template. The "
               "new pods are not mutated: no token file, no `AZURE_*` variables, so ai-service cannot sign in. The "
               "check below is *expected* to fail and names the broken link."),
        ("code", "rb.remove_pod_label()"),
        ("code", "rb.verify(timeout=5, expect_failure=True)"),
        ("md", "Put the label back by running the redeploy step again — it only sends what is missing — and check "
               "once more."),
        ("code", "rb.redeploy_app()"),
        ("code", "rb.verify()"),
    ],
    "99-clean-up": common_head(
        "Clean up",
        "Removes exactly what this runbook created — the federated credential, the role assignment, the identity, "
        "the ServiceAccount — and puts the original ai-service Deployment back (`restore_deployment`). The "
        "prerequisite article's cluster and Azure OpenAI account stay. The OIDC issuer stays on (AKS cannot turn it "
        "off); workload identity is turned off again only if this runbook turned it on. Safe to run twice.") + [
        ("md", "First what would be done (a dry run), then the clean-up itself."),
        ("code", "rb.plan_clean_up()"),
        ("code", "rb.clean_up()"),
    ],
}


def generated() -> dict[str, nbformat.NotebookNode]:
    """Every notebook as this script generates it (sources only), by file stem."""
    return {stem: notebook(stem, cells) for stem, cells in NOTEBOOKS.items()}


def main(argv: list[str]) -> None:
    clear = "--clear-outputs" in argv
    for stem, nb in generated().items():
        path = HERE / f"{stem}.ipynb"
        if path.exists() and not clear:
            nb = keep_outputs(nb, nbformat.read(path, as_version=4))
        if write(nb, path):
            print(f"wrote {path.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
