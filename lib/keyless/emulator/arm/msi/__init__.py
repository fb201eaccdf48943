"""arm/msi (being built)."""
