"""Azure Resource Manager: one sub-package per resource provider, plus what they share.

Every provider follows one contract (moto's responses/models/exceptions split, LocalStack's
provider over a store), so that any operation is read the same way in each of them:

- `routes.py` — the provider's URL space: one `Route` per REST operation, each declaring the
  RBAC `action` it needs and the `scope` it applies to (and `lists=<type>` on a collection GET
  that a caller may only partly read).
- `responses.py` — thin async handlers named after the REST operations: parse the request
  (path parameters, body, headers, query) → one call into `models` → render the answer
  (`lro.accepted_*` for long-running writes, `paging.page` for paged lists). A handler takes
  no lock, begins no operation, builds no error and checks no permission.
- `models.py` — the provider's rules over the shared state, with no HTTP in sight: lookups,
  validation, and every write. A write entry point takes `state.lock` itself, commits, and
  for a long-running write begins the operation (`lro.begin`) and returns an `lro.Started`.
  Seeding for scenarios lives here too.
- `errors.py` — every error the provider answers with, as functions returning `ArmError`,
  worded as the real service words them. Resource Manager's generic errors (group not found,
  invalid name, missing property, ...) are in `arm/errors.py`.
- optional, with fixed roles: `documents.py` builds the provider's documents from a request
  body (pure: reads the state, never writes or locks); `catalog.py` is static data (built-in
  roles, the model catalogue).

Shared by all providers:

- `security.py` — the Resource Manager step of the request chain: authentication, the
  subscription's tenant, and the route's action at its scope (`rbac.py`). It is the only
  place permissions are evaluated; for a `lists` route it narrows the collection to what the
  caller may read (`RequestContext.readable`) instead of refusing it.
- `rbac.py` — RBAC evaluation over the role assignments (also used by the Azure OpenAI data
  plane); `lro.py` — long-running operations; `paging.py` — `$top`/`$skiptoken`
  pages; `scopes.py` — the scopes of routes; `errors.py` — the error body and generic errors.

The import-linter contracts in `pyproject.toml` check the parts of this that imports can show.
"""
