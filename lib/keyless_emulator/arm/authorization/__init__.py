"""Microsoft.Authorization: built-in role definitions (catalog.py) and role assignments.

RBAC evaluation over these assignments lives in arm/rbac.py, used by the request chain.
"""
