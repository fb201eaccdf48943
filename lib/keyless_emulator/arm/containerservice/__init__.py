"""Microsoft.ContainerService: managed clusters (AKS) — the OIDC issuer and workload identity switches,
long-running writes, AKS-managed Microsoft Entra integration (aadProfile, disableLocalAccounts), and the
user and admin kubeconfigs.

models.py holds the state rules and commits long-running writes; documents.py builds the cluster
document from a request body and AKS's defaults (pure).
"""
