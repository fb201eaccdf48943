"""keyless."""
