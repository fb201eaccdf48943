"""The URL space of the control API."""
from __future__ import annotations

from ..routing import AUTH_CONTROL, AUTH_NONE, Route
from . import responses as r

P = "/_emulator"

ROUTES = [
    Route("GET", P + "/health", r.health, auth=AUTH_NONE),
    Route("POST", P + "/reset", r.reset, auth=AUTH_CONTROL),
    Route("GET", P + "/snapshot", r.get_snapshot, auth=AUTH_CONTROL),
    Route("PUT", P + "/snapshot", r.put_snapshot, auth=AUTH_CONTROL),
    Route("GET", P + "/requests", r.get_requests, auth=AUTH_CONTROL),
    Route("DELETE", P + "/requests", r.delete_requests, auth=AUTH_CONTROL),
    Route("GET", P + "/openai-calls", r.get_openai_calls, auth=AUTH_CONTROL),
    Route("GET", P + "/faults", r.get_faults, auth=AUTH_CONTROL),
    Route("PUT", P + "/faults", r.put_faults, auth=AUTH_CONTROL),
    Route("DELETE", P + "/faults", r.delete_faults, auth=AUTH_CONTROL),
    Route("GET", P + "/latency", r.get_latency, auth=AUTH_CONTROL),
    Route("PUT", P + "/latency", r.put_latency, auth=AUTH_CONTROL),
    Route("GET", P + "/settings", r.get_settings, auth=AUTH_CONTROL),
    Route("PUT", P + "/settings", r.put_settings, auth=AUTH_CONTROL),
    Route("GET", P + "/tenants", r.get_tenants, auth=AUTH_CONTROL),
    Route("POST", P + "/tenants", r.post_tenant, auth=AUTH_CONTROL),
    Route("DELETE", P + "/tenants/{name}", r.delete_tenant, auth=AUTH_CONTROL),
    Route("POST", P + "/tenants/{name}/reset", r.reset_tenant, auth=AUTH_CONTROL),
    Route("GET", P + "/dashboard", r.get_dashboard, auth=AUTH_CONTROL),  # a browser signs in with Basic: security.py
    Route("GET", P + "/dashboard/progress", r.get_progress, auth=AUTH_CONTROL),
]
