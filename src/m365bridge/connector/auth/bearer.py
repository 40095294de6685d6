"""Bearer tokens: the connector's own opaque access tokens (``oauth``), or JWTs issued by a configured OIDC
provider (``oidc``).

A token that resolved to a principal is remembered by its digest (never the token itself) until it
expires, at most ``auth_cache_seconds``, and forgotten as soon as this process changes a token, OAuth
client, user, role or OIDC configuration (``shared.watched_cache``); refusals are never remembered.
"""

from __future__ import annotations

import time

import jwt

from m365bridge.connector.auth.oauth.service import resolve_access_token
from m365bridge.connector.auth.oidc.tokens import resolve_jwt
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import ConnectorContext
from m365bridge.shared.tokens import token_digest
from m365bridge.shared.watched_cache import WatchedCache

Outcome = Principal | str
WATCHED_TABLES = (
    "oauth_token",
    "oauth_client",
    "sys_user",
    "sys_user_has_role",
    "oidc_provider",
    "oidc_entity",
)


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


def resolve_bearer(context: ConnectorContext, token: str) -> Outcome:
    """The principal the token stands for, or the reason (safe to log) why it is refused."""
    if context.settings.auth_cache_seconds <= 0:
        return _resolve(context, token)[0]
    cache: WatchedCache[Outcome] | None = context.extras.get("auth.bearer")
    if cache is None:
        fresh = WatchedCache[Outcome](WATCHED_TABLES, ttl=context.settings.auth_cache_seconds)
        cache = context.extras.setdefault("auth.bearer", fresh)
    return cache.get_or_load(token_digest(token), lambda: _resolve(context, token))


def cached_bearer(context: ConnectorContext, token: str) -> Principal | None:
    """The principal ``resolve_bearer`` remembered for ``token``, without touching the database; ``None``
    when nothing valid is remembered (the caller then resolves it the full way)."""
    cache: WatchedCache[Outcome] | None = context.extras.get("auth.bearer")
    outcome = cache.peek(token_digest(token)) if cache is not None else None
    return outcome if isinstance(outcome, Principal) else None


def _resolve(context: ConnectorContext, token: str) -> tuple[Outcome, float | None]:
    """The outcome and, for a principal, until when it may be remembered (the token's expiry)."""
    if looks_like_jwt(token):
        outcome = resolve_jwt(context, token)
        if isinstance(outcome, str):
            return outcome, None
        expires = jwt.decode(token, options={"verify_signature": False}).get("exp")  # verified above
        if not isinstance(expires, int | float):
            return outcome, None
        # Never trust a JWT longer than the keys that verified it: a signing key rotated out upstream must
        # stop working once the JWKS is due for a refetch (jwks_max_age_seconds), cache or no cache.
        keys_fresh_until = time.time() + context.settings.jwks_max_age_seconds
        return outcome, min(
            float(expires), keys_fresh_until
        ) if context.settings.jwks_max_age_seconds else None
    return resolve_access_token(context, token)
