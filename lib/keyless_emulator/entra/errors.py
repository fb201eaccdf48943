"""Entra's OAuth error shape: error, error_description (AADSTSnnnn: ...), error_codes, trace ids."""
from __future__ import annotations

import uuid
from typing import Any

from ..errors import EmulatorError


class EntraError(EmulatorError):
    def __init__(self, status: int, error: str, code: int, text: str, *, timestamp: str = ""):
        super().__init__(f"AADSTS{code}: {text}", status=status)
        self.error = error
        self.code = code
        self.timestamp = timestamp
        self.trace_id = str(uuid.uuid4())
        self.correlation_id = str(uuid.uuid4())

    def body(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "error_description": f"{self.message} Trace ID: {self.trace_id} Correlation ID: {self.correlation_id} "
                                 f"Timestamp: {self.timestamp}",
            "error_codes": [self.code],
            "timestamp": self.timestamp,
            "trace_id": self.trace_id,
            "correlation_id": self.correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}",
        }


def invalid_request(code: int, text: str) -> EntraError:
    return EntraError(400, "invalid_request", code, text)


def invalid_client(code: int, text: str, status: int = 401) -> EntraError:
    return EntraError(status, "invalid_client", code, text)


def unsupported_grant(grant: str) -> EntraError:
    return EntraError(400, "unsupported_grant_type", 70003,
                      f"The app requested an unsupported grant type '{grant}'.")


def tenant_not_found(tenant: str) -> EntraError:
    return EntraError(400, "invalid_request", 90002,
                      f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing "
                      "into the correct cloud.")


def application_not_found(client_id: str, tenant: str) -> EntraError:
    return EntraError(400, "unauthorized_client", 700016,
                      f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can "
                      "happen if the application has not been installed by the administrator of the tenant or "
                      "consented to by any user in the tenant. You may have sent your authentication request to the "
                      "wrong tenant.")


def invalid_secret(client_id: str) -> EntraError:
    return EntraError(401, "invalid_client", 7000215,
                      "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                      f"secret value, not the client secret ID, for a secret added to app '{client_id}'.")


def resource_not_found(resource: str, tenant: str) -> EntraError:
    return EntraError(400, "invalid_resource", 500011,
                      f"The resource principal named {resource} was not found in the tenant named {tenant}. This can "
                      "happen if the application has not been installed by the administrator of the tenant or "
                      "consented to by any user in the tenant. You might have sent your authentication request to the "
                      "wrong tenant.")
