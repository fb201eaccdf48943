"""URL space of the node: the instance metadata identity endpoint pods are pointed at."""
from __future__ import annotations

from ..routing import AUTH_NONE, Route
from .imds import IMDS_PREFIX, get_managed_identity_token

ROUTES = [
    Route("GET", IMDS_PREFIX + "/metadata/identity/oauth2/token", get_managed_identity_token, auth=AUTH_NONE),
]
