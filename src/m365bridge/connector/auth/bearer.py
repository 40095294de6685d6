"""Bearer tokens: the connector's own opaque access tokens, or JWTs issued by a configured OIDC provider."""

from __future__ import annotations

from sqlalchemy import select

from m365bridge.connector.auth.dependencies import Principal
from m365bridge.connector.auth.models import OAuthClient, OAuthToken
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.users.models import User
from m365bridge.connector.users.service import can_sign_in
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow
from m365bridge.shared.tokens import token_digest


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


def resolve_bearer(context: ConnectorContext, token: str) -> Principal | str:
    """The principal the token stands for, or the reason (safe to log) why it is refused."""
    if looks_like_jwt(token):
        from m365bridge.connector.auth.oidc import resolve_jwt

        return resolve_jwt(context, token)
    return resolve_access_token(context, token)


def resolve_access_token(context: ConnectorContext, token: str) -> Principal | str:
    with transaction(context.sessions) as session:
        row = session.scalars(
            select(OAuthToken).where(
                OAuthToken.token_digest == token_digest(token), OAuthToken.kind == "access"
            )
        ).first()
        if row is None:
            return "unknown access token"
        if row.revoked_at is not None or row.expires_at <= utcnow():
            return "access token expired or revoked"
        client = session.get(OAuthClient, row.client_id)
        user = session.get(User, row.user_id)
        if client is None or not client.active:
            return "OAuth client inactive"
        if user is None or not can_sign_in(user):
            return "user inactive or locked"
        return Principal.of(user, "bearer")
