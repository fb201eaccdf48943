"""The URL space of Microsoft.Resources."""
from __future__ import annotations

from ...routing import AUTH_NONE, Route
from .. import lro
from ..scopes import SUBSCRIPTIONS, group_scope, subscription_scope
from . import responses as r

_SUB = "/subscriptions/{subscription}"
_GROUP = _SUB + "/resourceGroups/{group}"
_READ = "Microsoft.Resources/subscriptions/resourceGroups/read"
_WRITE = "Microsoft.Resources/subscriptions/resourceGroups/write"
_DELETE = "Microsoft.Resources/subscriptions/resourceGroups/delete"


ROUTES = [
    Route("GET", "/metadata/endpoints", r.metadata_endpoints, auth=AUTH_NONE),
    # az cloud register given the base URL with a trailing slash asks for //metadata/endpoints.
    Route("GET", "//metadata/endpoints", r.metadata_endpoints, auth=AUTH_NONE),
    Route("GET", "/subscriptions", r.subscriptions_list, lists=SUBSCRIPTIONS),
    Route("GET", "/tenants", r.tenants_list),
    Route("GET", _SUB, r.subscriptions_get, action="Microsoft.Resources/subscriptions/read", scope=subscription_scope),
    Route("GET", _SUB + "/locations", r.subscriptions_list_locations,
          action="Microsoft.Resources/subscriptions/locations/read", scope=subscription_scope),
    Route("GET", _SUB + "/providers/{namespace}/locations/{location}/operations/{operation}", lro.get_operation_status),
    Route("GET", _SUB + "/providers/{namespace}/locations/{location}/operationresults/{operation}",
          lro.get_operation_result),
    Route("GET", _SUB + "/resources", r.resources_list, action="Microsoft.Resources/subscriptions/resources/read",
          scope=subscription_scope),
    Route("GET", _SUB + "/resourceGroups", r.resource_groups_list, action=_READ, scope=subscription_scope),
    Route("GET", _GROUP + "/resources", r.resources_list_by_resource_group,
          action="Microsoft.Resources/subscriptions/resourceGroups/resources/read", scope=group_scope),
    Route("GET", _GROUP, r.resource_groups_get, action=_READ, scope=group_scope),
    Route("HEAD", _GROUP, r.resource_groups_check_existence, action=_READ, scope=group_scope),
    Route("PUT", _GROUP, r.resource_groups_create_or_update, action=_WRITE, scope=group_scope),
    Route("DELETE", _GROUP, r.resource_groups_delete, action=_DELETE, scope=group_scope),
]
