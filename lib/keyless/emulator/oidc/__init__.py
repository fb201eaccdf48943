"""oidc (being built)."""
