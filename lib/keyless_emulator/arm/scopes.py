"""The RBAC scopes of Resource Manager routes, from their path parameters (shared by providers).

A route's `scope` names where its action is checked; for a single resource it is the resource
id, for a collection the subscription or resource group that holds it.
"""
from __future__ import annotations

SUBSCRIPTIONS = "Microsoft.Resources/subscriptions"  # what `GET /subscriptions` lists (not stored as documents)


def subscription_scope(p: dict[str, str]) -> str:
    return f"/subscriptions/{p['subscription']}"


def group_scope(p: dict[str, str]) -> str:
    return f"/subscriptions/{p['subscription']}/resourceGroups/{p['group']}"
