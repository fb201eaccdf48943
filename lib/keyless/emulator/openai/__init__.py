"""openai (being built)."""
