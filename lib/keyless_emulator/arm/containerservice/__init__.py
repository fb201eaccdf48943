"""Microsoft.ContainerService: managed clusters (AKS) — the OIDC issuer and workload identity switches,
long-running writes, and the user kubeconfig.

models.py holds the state rules and commits long-running writes; documents.py builds the cluster
document from a request body and AKS's defaults (pure).
"""
