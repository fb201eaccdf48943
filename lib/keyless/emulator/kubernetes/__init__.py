"""kubernetes (being built)."""


def install(backend):
    """Attach the Kubernetes side to a backend (state section and hooks)."""
