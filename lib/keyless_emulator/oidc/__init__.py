"""Each managed cluster's OIDC issuer: its discovery document and JWKS (what Entra fetches)."""
