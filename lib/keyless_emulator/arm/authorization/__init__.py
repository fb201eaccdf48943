"""Microsoft.Authorization: built-in role definitions, role assignments, and RBAC evaluation."""
