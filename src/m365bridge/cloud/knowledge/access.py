"""Who is searching: a tenant's outbound app (bearer token), or anyone (public articles, lower limit).

A token passes the support service's one gate for connectors (``integration.dependencies``): issued for the
support application to the app the tenant configured as its "Application ID to issue Auth Token", with the
support role.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.integration.dependencies import ConnectorRefused, check_connector_token
from m365bridge.shared.errors import UserError
from m365bridge.shared.watched_cache import WatchedCache

CALLER_CACHE = "knowledge.callers"
# What an accepted token's verdict depends on besides the token itself: the published signing keys and the
# tenant's configured app. A write to either in this process drops every remembered caller.
WATCHED_TABLES = ("identity_signing_keys", "support_integrations")


class NotAuthenticated(UserError):
    status_code = 401


@dataclass(frozen=True)
class Caller:
    tenant_id: str | None = None
    app_id: str | None = None

    @property
    def public_only(self) -> bool:
        return self.tenant_id is None


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def authenticate(context: CloudContext, session: Session, authorization: str | None) -> Caller:
    """The caller behind ``authorization``; no header means an anonymous, public-only caller.

    Verifying a token (a key look-up, an RSA signature, the tenant's configured app) costs more than the
    search it guards, and the connector sends the same token until it expires; so an accepted token's
    caller is remembered by the token's digest, until it expires and at most ``solutions_auth_cache_seconds``.
    Refusals are never remembered."""
    token = bearer_token(authorization)
    if token is None:
        return Caller()
    digest = hashlib.sha256(token.encode()).hexdigest()
    return _callers(context).get_or_load(digest, lambda: _verified_caller(context, session, token))


def _callers(context: CloudContext) -> WatchedCache[Caller]:
    existing = context.extras.get(CALLER_CACHE)
    if isinstance(existing, WatchedCache):
        return existing
    fresh = WatchedCache[Caller](WATCHED_TABLES, ttl=context.settings.solutions_auth_cache_seconds)
    return context.extras.setdefault(CALLER_CACHE, fresh)


def _verified_caller(context: CloudContext, session: Session, token: str) -> tuple[Caller, float | None]:
    """The caller, and until when it may be reused (the token's expiry); raises when it is refused."""
    try:
        accepted = check_connector_token(context, session, token)
    except ConnectorRefused as exc:
        if exc.status_code == 401:
            raise NotAuthenticated(exc.message) from exc
        raise UserError(exc.message, status_code=exc.status_code) from exc
    return Caller(tenant_id=accepted.tenant_id, app_id=accepted.app_id), accepted.expires_at
