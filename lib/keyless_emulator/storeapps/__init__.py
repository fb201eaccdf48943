"""Our own implementations of the aks-store-demo apps the runbook touches, run by the kubelet as
local processes: `ai_service` (FastAPI, port 5001), `product_service` (3002) and `store_admin`
(8081). They behave like the published images at the HTTP level (endpoints, bodies, error texts,
log lines) but share no code with them.

Each runs as `python -m keyless_emulator.storeapps.<app> --port N` would (the kubelet gives it a
free local port for the container port), forked from the pod runtime host (`host.py`), which
imports the apps' libraries once for every container of the emulator. Inside, `pod_runtime`
keeps every connection on loopback and resolves in-cluster service names
(`http://ai-service:5001/`) through the service map the kubelet maintains.
"""

IMAGES = {
    "ghcr.io/azure-samples/aks-store-demo/ai-service": "ai_service",
    "ghcr.io/azure-samples/aks-store-demo/product-service": "product_service",
    "ghcr.io/azure-samples/aks-store-demo/store-admin": "store_admin",
}


def app_for_image(image: str) -> str | None:
    """The app module that plays `image` (any tag or digest), or None for an unknown image."""
    repository = image.split("@", 1)[0]
    last = repository.rsplit("/", 1)[-1]
    if ":" in last:
        repository = repository[: len(repository) - len(last)] + last.split(":", 1)[0]
    return IMAGES.get(repository.lower())
