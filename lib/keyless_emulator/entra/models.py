"""The token endpoint's rules: which grant, which client, which credential, which resource."""
from __future__ import annotations

from ..backend import Backend
from ..graph.security import audiences as graph_audiences
from ..state import Principal
from . import errors
from .tokens import KNOWN_RESOURCES, SECRET_TOKEN_LIFETIME, IssuedToken, issue, resource_of_scope

CLIENT_CREDENTIALS = "client_credentials"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _tenant(backend: Backend, tenant: str) -> str:
    t = tenant.lower()
    if t in backend.state.tenants:
        return t
    for candidate in backend.state.tenants.values():
        if candidate.domain.lower() == t:
            return candidate.id
    raise errors.tenant_not_found(tenant)


def _resource(backend: Backend, form: dict[str, str], tenant_id: str) -> str:
    scope = form.get("scope", "")
    if not scope.strip():
        raise errors.invalid_request(900144, "The request body must contain the following parameter: 'scope'.")
    resource = resource_of_scope(scope)
    if resource not in KNOWN_RESOURCES + graph_audiences(backend.base_url):
        raise errors.resource_not_found(resource, tenant_id)
    return resource


def _client(backend: Backend, form: dict[str, str], tenant_id: str) -> Principal:
    client_id = form.get("client_id", "")
    if not client_id:
        raise errors.invalid_request(900144, "The request body must contain the following parameter: 'client_id'.")
    principal = backend.state.principal_by_app_id(tenant_id, client_id)
    if principal is None:
        raise errors.application_not_found(client_id, tenant_id)
    return principal


def token(backend: Backend, tenant: str, form: dict[str, str]) -> IssuedToken:
    """Client credentials grant, with a client secret or a federated client assertion.

    Every error carries the emulator clock's time, written as Entra writes it.
    """
    try:
        return _token(backend, tenant, form)
    except errors.EntraError as e:
        e.timestamp = backend.clock.now().strftime("%Y-%m-%d %H:%M:%SZ")
        raise


def _token(backend: Backend, tenant: str, form: dict[str, str]) -> IssuedToken:
    grant = form.get("grant_type", "")
    if grant != CLIENT_CREDENTIALS:
        raise errors.unsupported_grant(grant)
    tenant_id = _tenant(backend, tenant)
    with backend.state.lock:
        principal = _client(backend, form, tenant_id)
        resource = _resource(backend, form, tenant_id)
        if "client_assertion" in form:
            from .federation import exchange
            return exchange(backend, principal, form, resource)
        if "client_secret" in form:
            if not principal.has_secret or form["client_secret"] != backend.state.client_secret(principal):
                raise errors.invalid_secret(principal.app_id)
            return issue(backend, principal, resource, lifetime=SECRET_TOKEN_LIFETIME, auth_method="1")
    raise errors.invalid_request(7000218, "The request body must contain the following parameter: 'client_assertion' "
                                          "or 'client_secret'.")
