"""`/version` and API discovery: legacy (`APIVersions`, `APIGroupList`, `APIGroup`,
`APIResourceList`) and aggregated (`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`, answered
when the Accept header asks for it, with that content type)."""
from __future__ import annotations

import hashlib
from typing import Any

from .. import clusters
from .kinds import GROUP_VERSIONS, KINDS, Kind

AGGREGATED_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def version() -> dict[str, str]:
    major, minor, _ = clusters.KUBERNETES_VERSION.split(".")
    return {"major": major, "minor": minor, "emulationMajor": major, "emulationMinor": minor,
            "minCompatibilityMajor": major, "minCompatibilityMinor": str(int(minor) - 1),
            "gitVersion": "v" + clusters.KUBERNETES_VERSION,
            "gitCommit": hashlib.sha1(clusters.KUBERNETES_VERSION.encode()).hexdigest(),
            "gitTreeState": "clean", "buildDate": "2025-06-17T18:28:08Z", "goVersion": "go1.23.10",
            "compiler": "gc", "platform": "linux/amd64"}


def wants_aggregated(accept: str) -> bool:
    for part in accept.split(","):
        params = {p.strip().split("=", 1)[0]: p.strip().split("=", 1)[1] for p in part.split(";")[1:] if "=" in p}
        if params.get("g") == "apidiscovery.k8s.io" and params.get("v") == "v2" \
                and params.get("as") == "APIGroupDiscoveryList":
            return True
    return False


def _kinds(group: str, ver: str) -> list[Kind]:
    return sorted((k for k in KINDS if k.group == group and k.version == ver), key=lambda k: k.resource)


def _storage_hash(kind: Kind) -> str:
    import base64

    return base64.b64encode(hashlib.sha256(f"{kind.api_version}/{kind.kind}".encode()).digest()[:8]).decode()


def resource_list(group: str, ver: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for k in _kinds(group, ver):
        entry: dict[str, Any] = {"name": k.resource, "singularName": k.singular, "namespaced": k.namespaced,
                                 "kind": k.kind, "verbs": list(k.verbs)}
        if k.short_names:
            entry["shortNames"] = list(k.short_names)
        if k.categories:
            entry["categories"] = list(k.categories)
        entry["storageVersionHash"] = _storage_hash(k)
        resources.append(entry)
        for sub in k.subresources:
            s: dict[str, Any] = {"name": f"{k.resource}/{sub.name}", "singularName": "", "namespaced": k.namespaced,
                                 "kind": sub.kind, "verbs": list(sub.verbs)}
            if sub.group:
                s["group"], s["version"] = sub.group, sub.version
            resources.append(s)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{ver}" if group else ver,
            "resources": resources}


def api_versions(server_address: str) -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group(name: str) -> dict[str, Any]:
    versions = [{"groupVersion": f"{name}/{v}", "version": v} for g, v in GROUP_VERSIONS if g == name]
    return {"name": name, "versions": versions, "preferredVersion": versions[0]}


def api_group_list() -> dict[str, Any]:
    names = sorted({g for g, _ in GROUP_VERSIONS if g})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(n) for n in names]}


def api_group(name: str) -> dict[str, Any] | None:
    if not any(g == name for g, _ in GROUP_VERSIONS if g):
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name)}


def _aggregated_version(group: str, ver: str) -> dict[str, Any]:
    resources = []
    for k in _kinds(group, ver):
        r: dict[str, Any] = {"resource": k.resource, "responseKind": {"group": k.group, "version": k.version,
                                                                       "kind": k.kind},
                             "scope": "Namespaced" if k.namespaced else "Cluster", "singularResource": k.singular,
                             "verbs": list(k.verbs)}
        if k.short_names:
            r["shortNames"] = list(k.short_names)
        if k.categories:
            r["categories"] = list(k.categories)
        if k.subresources:
            r["subresources"] = [{"subresource": s.name, "responseKind": {"group": s.group, "version": s.version,
                                                                          "kind": s.kind}, "verbs": list(s.verbs)}
                                 for s in k.subresources]
        resources.append(r)
    return {"version": ver, "resources": resources, "freshness": "Current"}


def aggregated(legacy: bool) -> dict[str, Any]:
    """`/api` (legacy=True, the core group) or `/apis` as an APIGroupDiscoveryList."""
    groups = [""] if legacy else sorted({g for g, _ in GROUP_VERSIONS if g})
    items = []
    for g in groups:
        meta: dict[str, Any] = {"creationTimestamp": None}
        if g:
            meta["name"] = g
        items.append({"metadata": meta, "versions": [_aggregated_version(g, v) for gg, v in GROUP_VERSIONS if gg == g]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}
