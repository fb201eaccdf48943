"""Microsoft.Authorization: built-in role definitions (catalog.py) and role assignments.

RBAC evaluation over these assignments is shared by the request chains and lives in arm/rbac.py.
"""
