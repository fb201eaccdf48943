"""The URL space of the emulator's Microsoft Graph (`{base}/graph/v1.0/...`)."""
from __future__ import annotations

from ..routing import AUTH_GRAPH, Route
from . import responses as r
from .security import PREFIX

_V1 = PREFIX + "/v1.0"

ROUTES = [
    Route("GET", _V1 + "/servicePrincipals", r.service_principal_list, auth=AUTH_GRAPH),
    Route("GET", _V1 + "/servicePrincipals(appId='{app_id}')", r.service_principal_get_by_app_id, auth=AUTH_GRAPH),
    Route("GET", _V1 + "/servicePrincipals/{id}", r.service_principal_get, auth=AUTH_GRAPH),
    Route("GET", _V1 + "/users", r.user_list, auth=AUTH_GRAPH),
    Route("POST", _V1 + "/directoryObjects/getByIds", r.directory_object_get_by_ids, auth=AUTH_GRAPH),
]
