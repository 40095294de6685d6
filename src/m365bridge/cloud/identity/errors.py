"""Entra-style token errors: an OAuth ``error`` plus an AADSTS code and message, with Entra's statuses."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any


class AADSTSError(Exception):
    """A request the token service refuses, shaped as Entra ID answers it."""

    def __init__(self, code: int, error: str, message: str, *, status_code: int = 400) -> None:
        super().__init__(f"AADSTS{code}: {message}")
        self.code = code
        self.error = error
        self.message = message
        self.status_code = status_code

    def body(self, correlation_id: str | None = None) -> dict[str, Any]:
        """The JSON body Entra returns: the description ends with trace, correlation id and timestamp."""
        trace_id = str(uuid.uuid4())
        correlation_id = correlation_id or str(uuid.uuid4())
        timestamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        description = (
            f"AADSTS{self.code}: {self.message}\r\nTrace ID: {trace_id}\r\n"
            f"Correlation ID: {correlation_id}\r\nTimestamp: {timestamp}"
        )
        return {
            "error": self.error,
            "error_description": description,
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}",
        }


def tenant_not_found(tenant: str) -> AADSTSError:
    return AADSTSError(
        90002,
        "invalid_request",
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing "
        "into the correct cloud. Check with your subscription administrator, this may happen if there are "
        "no active subscriptions for the tenant.",
    )


def client_not_found(client_id: str, tenant: str) -> AADSTSError:
    return AADSTSError(
        700016,
        "unauthorized_client",
        f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can "
        "happen if the application has not been installed by the administrator of the tenant or consented "
        "to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
    )


def invalid_secret(client_id: str) -> AADSTSError:
    return AADSTSError(
        7000215,
        "invalid_client",
        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
        f"value, not the client secret ID, for a secret added to app '{client_id}'.",
        status_code=401,
    )


def expired_secret(client_id: str) -> AADSTSError:
    return AADSTSError(
        7000222,
        "invalid_client",
        f"The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal to "
        "create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate "
        "credentials for added security: https://aka.ms/certCreds.",
        status_code=401,
    )


def missing_secret() -> AADSTSError:
    return AADSTSError(
        7000218,
        "invalid_client",
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        status_code=401,
    )


def missing_parameter(name: str) -> AADSTSError:
    return AADSTSError(
        900144, "invalid_request", f"The request body must contain the following parameter: '{name}'."
    )


def unsupported_grant_type(grant_type: str) -> AADSTSError:
    return AADSTSError(
        70003, "unsupported_grant_type", f"The app requested an unsupported grant type '{grant_type}'."
    )


def resource_not_found(resource: str, tenant: str) -> AADSTSError:
    return AADSTSError(
        500011,
        "invalid_resource",
        f"The resource principal named {resource} was not found in the tenant named {tenant}. This can "
        "happen if the application has not been installed by the administrator of the tenant or consented "
        "to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
    )


def invalid_scope(scope: str) -> AADSTSError:
    return AADSTSError(
        70011,
        "invalid_scope",
        f"The provided request must include a 'scope' input parameter. The provided value for the input "
        f"parameter 'scope' is not valid. The scope {scope} is not valid. Client credential flows must have "
        "a scope value with /.default suffixed to the resource identifier (application ID URI).",
    )


def interactive_unsupported(response_type: str) -> AADSTSError:
    return AADSTSError(
        700054,
        "unsupported_response_type",
        f"response_type '{response_type}' is not enabled for the application. This identity service "
        "issues application tokens with the client-credentials grant only.",
    )
