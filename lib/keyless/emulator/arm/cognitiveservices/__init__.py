"""arm/cognitiveservices (being built)."""
