"""The URL space of Microsoft.ContainerService (managed clusters)."""
from __future__ import annotations

from ...routing import Route
from ..scopes import group_scope, subscription_scope
from . import responses as r

_SUB = "/subscriptions/{subscription}"
_GROUP = _SUB + "/resourceGroups/{group}"
_CLUSTERS = "/providers/Microsoft.ContainerService/managedClusters"
_CLUSTER = _GROUP + _CLUSTERS + "/{name}"

READ = "Microsoft.ContainerService/managedClusters/read"
WRITE = "Microsoft.ContainerService/managedClusters/write"
DELETE = "Microsoft.ContainerService/managedClusters/delete"
LIST_USER_CREDENTIAL = "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action"
LIST_ADMIN_CREDENTIAL = "Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action"


def _cluster_scope(p: dict[str, str]) -> str:
    return f"/subscriptions/{p['subscription']}/resourceGroups/{p['group']}{_CLUSTERS}/{p['name']}"


ROUTES = [
    Route("GET", _SUB + _CLUSTERS, r.managed_clusters_list, action=READ, scope=subscription_scope),
    Route("GET", _GROUP + _CLUSTERS, r.managed_clusters_list_by_resource_group, action=READ, scope=group_scope),
    Route("GET", _CLUSTER, r.managed_clusters_get, action=READ, scope=_cluster_scope),
    Route("PUT", _CLUSTER, r.managed_clusters_create_or_update, action=WRITE, scope=_cluster_scope),
    Route("PATCH", _CLUSTER, r.managed_clusters_update_tags, action=WRITE, scope=_cluster_scope),
    Route("DELETE", _CLUSTER, r.managed_clusters_delete, action=DELETE, scope=_cluster_scope),
    Route("POST", _CLUSTER + "/listClusterUserCredential", r.managed_clusters_list_cluster_user_credentials,
          action=LIST_USER_CREDENTIAL, scope=_cluster_scope),
    Route("POST", _CLUSTER + "/listClusterAdminCredential", r.managed_clusters_list_cluster_admin_credentials,
          action=LIST_ADMIN_CREDENTIAL, scope=_cluster_scope),
]
