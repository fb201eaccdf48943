"""Azure OpenAI's error bodies.

Service errors (authentication, authorization, routing) are `{"error": {"code", "message"}}`;
request validation errors keep OpenAI's own shape `{"error": {"message", "type", "param", "code"}}`.
"""
from __future__ import annotations

from typing import Any

from ..errors import EmulatorError

INVALID_TOKEN = ("Unauthorized. Access token is missing, invalid, audience is incorrect "
                 "(https://cognitiveservices.azure.com), or have expired.")
INVALID_KEY = ("Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
               "for an active subscription and use a correct regional API endpoint for your resource.")
MISSING_KEY = ("Access denied due to missing subscription key. Make sure to include subscription key when making "
               "requests to an API.")
TOKEN_NEEDS_SUBDOMAIN = "Please provide a custom subdomain for token authentication, otherwise API key is required."


class OpenAIError(EmulatorError):
    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message, status=status, headers=headers)
        self.code = code

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


class InvalidRequest(OpenAIError):
    """A request the model API itself refuses (OpenAI's validation error shape)."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(400, "invalid_request_error", message)
        self.param = param

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": "invalid_request_error", "param": self.param, "code": None}}


def invalid_token() -> OpenAIError:
    return OpenAIError(401, "401", INVALID_TOKEN)


def token_needs_custom_subdomain() -> OpenAIError:
    return OpenAIError(401, "401", TOKEN_NEEDS_SUBDOMAIN)


def invalid_key() -> OpenAIError:
    return OpenAIError(401, "401", INVALID_KEY)


def missing_credentials() -> OpenAIError:
    return OpenAIError(401, "401", MISSING_KEY)


def key_auth_disabled() -> OpenAIError:
    return OpenAIError(403, "AuthenticationTypeDisabled", "Key based authentication is disabled for this resource.")


def permission_denied(object_id: str, data_action: str, operation: str) -> OpenAIError:
    return OpenAIError(401, "PermissionDenied",
                       f"The principal `{object_id}` lacks the required data action `{data_action}` to perform "
                       f"`{operation}` operation.")


def resource_not_found(subdomain: str) -> OpenAIError:
    return OpenAIError(404, "404", f"Resource not found: no Azure OpenAI account answers at '{subdomain}' in this "
                                   "emulator (the endpoint is the account's properties.endpoint).")


def deployment_not_found() -> OpenAIError:
    return OpenAIError(404, "DeploymentNotFound",
                       "The API deployment for this resource does not exist. If you created the deployment within "
                       "the last 5 minutes, please wait a moment and try again.")


def operation_not_supported(operation: str, model: str) -> OpenAIError:
    return OpenAIError(400, "OperationNotSupported",
                       f"The {operation} operation does not work with the specified model, {model}. Please choose "
                       "different model and try again. You can learn more about which models can be used with each "
                       "operation here: https://go.microsoft.com/fwlink/?linkid=2197993.")


def missing_api_version() -> OpenAIError:
    return OpenAIError(400, "BadRequest",
                       "The api-version query parameter (?api-version=) is required for all requests.")
