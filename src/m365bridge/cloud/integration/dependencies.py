"""The support service's one gate for connectors: a bearer token for the support application, issued to
the app the tenant's admin entered as "Application ID to issue Auth Token", holding ``Support.ReadWrite.All``.

Every connector-facing route of the support service (cases, integration lookup, probe, tenant-admin lookup)
depends on ``require_connector_app``; the knowledge search, which also serves anonymous callers, calls
``check_connector_token`` for the callers that send a token. The rule, in this order:

1. the token verifies (signature, issuer, expiry) and its audience is the support application, as its App
   ID URI (``api://m365-support``) or as its app id: Entra issues either, depending on how the client named
   the resource, and both mean the same application (any other audience is refused, 401);
2. the tenant has configured its "Application ID to issue Auth Token" (403 otherwise);
3. the token's app id is that application, compared without regard to case: app ids are GUIDs, which
   Entra treats case-insensitively, and an admin may paste one in capitals (403 otherwise);
4. the token holds the ``Support.ReadWrite.All`` application role (403 otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext, get_context
from m365bridge.cloud.identity.verification import (
    SUPPORT_APP_ID,
    SUPPORT_RESOURCE,
    TokenRejected,
    verify_access_token,
)
from m365bridge.cloud.integration import service
from m365bridge.shared.db import transaction

SUPPORT_ROLE = "Support.ReadWrite.All"
SUPPORT_AUDIENCES = (SUPPORT_RESOURCE, SUPPORT_APP_ID)
bearer = HTTPBearer(auto_error=False, description="Access token for api://m365-support (client credentials).")


@dataclass(frozen=True)
class ConnectorCaller:
    tenant_id: str
    app_id: str
    # The token's ``exp`` (seconds since the epoch), for callers that remember an accepted token.
    expires_at: float | None = None


class ConnectorRefused(Exception):
    """The gate's refusal: 401 (no valid token for the support application) or 403 (wrong app or role)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def check_connector_token(context: CloudContext, session: Session, token: str) -> ConnectorCaller:
    """The caller behind ``token`` under the rule above; raises ``ConnectorRefused`` otherwise."""
    try:
        access = verify_access_token(context, token, audiences=SUPPORT_AUDIENCES)
    except TokenRejected as exc:
        raise ConnectorRefused(401, f"The access token was not accepted: {exc.reason}") from exc
    configured = service.configured_app_id(session, access.tenant_id)
    if configured is None:
        raise ConnectorRefused(
            403,
            f"Tenant {access.tenant_id} has not configured its support integration: a Helpdesk or Service "
            "Support admin must enter the Application ID to issue Auth Token in the admin center "
            "(Settings > Org settings > Organization profiles > Support integration).",
        )
    if access.app_id.lower() != configured.lower():
        raise ConnectorRefused(
            403,
            f"Application {access.app_id} is not the Application ID to issue Auth Token configured for "
            f"tenant {access.tenant_id} ({configured}); use the configured outbound app or change the "
            "setting.",
        )
    if SUPPORT_ROLE not in access.roles:
        raise ConnectorRefused(
            403,
            f"Application {access.app_id} lacks the {SUPPORT_ROLE} application permission; grant it with "
            "admin consent.",
        )
    expires = access.claims.get("exp")
    expires_at = float(expires) if isinstance(expires, int | float) else None
    return ConnectorCaller(tenant_id=access.tenant_id, app_id=access.app_id, expires_at=expires_at)


def _refusal(status_code: int, message: str) -> HTTPException:
    headers = None
    if status_code == status.HTTP_401_UNAUTHORIZED:
        headers = {"WWW-Authenticate": f'Bearer resource="{SUPPORT_RESOURCE}"'}
    return HTTPException(status_code, message, headers=headers)


def require_connector_app(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> ConnectorCaller:
    """401 for a missing or invalid token, 403 for the wrong app or a missing role; else the caller."""
    if credentials is None:
        raise _refusal(
            401,
            "The access token was not accepted: send 'Authorization: Bearer <token>' for api://m365-support",
        )
    context = get_context(request)
    # A read of its own, not the request session: that one may be a writer, and the probe endpoint
    # must hold no write lock while it calls out to the connector.
    with transaction(context.sessions) as session:
        try:
            return check_connector_token(context, session, credentials.credentials)
        except ConnectorRefused as exc:
            raise _refusal(exc.status_code, exc.message) from exc
