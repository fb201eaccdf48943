"""arm/containerservice (being built)."""
