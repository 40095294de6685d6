"""Who may call Graph: a bearer token from this cloud's identity service, for Graph, with the right role.

The token's ``tid`` picks the tenant whose data the call sees. Then the caller (app, tenant) is throttled.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext, get_context, get_session
from m365bridge.cloud.graph.errors import GraphError
from m365bridge.cloud.graph.throttling import Throttle, Window, retry_after_header
from m365bridge.cloud.identity import service as identity
from m365bridge.cloud.identity.verification import (
    GRAPH_RESOURCE,
    AccessToken,
    TokenRejected,
    verify_access_token,
)
from m365bridge.shared.errors import NotFound

SERVICE_HEALTH = "ServiceHealth.Read.All"
SERVICE_MESSAGES = "ServiceMessage.Read.All"


def graph_caller(role: str) -> Callable[..., AccessToken]:
    """A dependency: the verified token of a caller that holds ``role``, within its throttling budget."""

    def dependency(
        request: Request,
        context: CloudContext = Depends(get_context),
        session: Session = Depends(get_session, scope="function"),
    ) -> AccessToken:
        token = _verified(context, session, request.headers.get("authorization", ""))
        if role not in token.roles:
            raise GraphError(
                403,
                "Forbidden",
                f"Either the signed-in user or the application does not have the {role} permission "
                "this operation needs; grant it and consent, then acquire a new token.",
            )
        wait = _throttle(context).admit(token.app_id, token.tenant_id)
        if wait is not None:
            raise GraphError(
                429,
                "TooManyRequests",
                "Too many requests for this application in this tenant; retry after the given seconds.",
                headers={"Retry-After": retry_after_header(wait)},
            )
        return token

    return dependency


def _verified(context: CloudContext, session: Session, authorization: str) -> AccessToken:
    scheme, _, raw = authorization.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
    try:
        token = verify_access_token(context, raw.strip(), audiences=[GRAPH_RESOURCE])
    except TokenRejected as rejected:
        raise GraphError(
            401, "InvalidAuthenticationToken", f"Access token validation failure: {rejected.reason}"
        ) from None
    try:
        identity.resolve_tenant(session, token.tenant_id)
    except NotFound:
        raise GraphError(
            401,
            "InvalidAuthenticationToken",
            "Access token validation failure: the tenant is not on this cloud.",
        ) from None
    return token


def _throttle(context: CloudContext) -> Throttle:
    throttle = context.extras.get("graph_throttle")
    if not isinstance(throttle, Throttle):
        settings = context.settings
        throttle = Throttle(
            [Window(settings.graph_throttle_per_minute, 60), Window(settings.graph_throttle_per_hour, 3600)]
        )
        context.extras["graph_throttle"] = throttle
    return throttle
