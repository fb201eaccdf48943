"""Microsoft.ContainerService: managed clusters (AKS) — the OIDC issuer and workload identity switches,
long-running writes, and the user kubeconfig."""
