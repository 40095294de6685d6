"""The support service's gate for connectors: a bearer token for ``api://m365-support`` issued to the app
the tenant's admin entered as "Application ID to issue Auth Token", holding ``Support.ReadWrite.All``.

Used by every connector-facing route of the support service (cases, integration lookup, probe, and the
knowledge search API)::

    @router.get("/support/v1/…")
    def handler(caller: ConnectorCaller = Depends(require_connector_app)) -> …:
        caller.tenant_id, caller.app_id
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from m365bridge.cloud.context import get_context
from m365bridge.cloud.identity.verification import (
    SUPPORT_APP_ID,
    SUPPORT_RESOURCE,
    TokenRejected,
    verify_access_token,
)
from m365bridge.cloud.integration import service
from m365bridge.shared.db import transaction

SUPPORT_ROLE = "Support.ReadWrite.All"
bearer = HTTPBearer(auto_error=False, description="Access token for api://m365-support (client credentials).")


@dataclass(frozen=True)
class ConnectorCaller:
    tenant_id: str
    app_id: str


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        f"The access token was not accepted: {reason}",
        headers={"WWW-Authenticate": f'Bearer resource="{SUPPORT_RESOURCE}"'},
    )


def require_connector_app(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> ConnectorCaller:
    """401 for a missing or invalid token; 403 when the token's app is not the tenant's configured one
    (or lacks the support role); otherwise the caller's tenant and app id."""
    if credentials is None:
        raise _unauthorized("send 'Authorization: Bearer <token>' for api://m365-support")
    try:
        token = verify_access_token(
            get_context(request), credentials.credentials, audiences=(SUPPORT_RESOURCE, SUPPORT_APP_ID)
        )
    except TokenRejected as exc:
        raise _unauthorized(exc.reason) from exc
    # A read of its own, not the request session: that one may be a writer, and the probe endpoint
    # must hold no write lock while it calls out to the connector.
    with transaction(get_context(request).sessions) as session:
        configured = service.configured_app_id(session, token.tenant_id)
    if configured is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"Tenant {token.tenant_id} has not configured its support integration: a Helpdesk or Service "
            "Support admin must enter the Application ID to issue Auth Token in the admin center "
            "(Settings > Org settings > Organization profiles > Support integration).",
        )
    if token.app_id.lower() != configured.lower():
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"Application {token.app_id} is not the Application ID to issue Auth Token configured for tenant "
            f"{token.tenant_id} ({configured}); use the configured outbound app or change the setting.",
        )
    if SUPPORT_ROLE not in token.roles:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"Application {token.app_id} lacks the {SUPPORT_ROLE} application permission; grant it with "
            "admin consent.",
        )
    return ConnectorCaller(tenant_id=token.tenant_id, app_id=token.app_id)
