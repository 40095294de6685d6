"""Checking access tokens this identity service issued: what Graph and the support service call.

The key set is tenant-independent (as Entra's); the issuer must be the one this service writes for the
token's version and tenant; the audience must be one the caller accepts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import jwt

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.identity import claims, keys
from m365bridge.cloud.identity.resources import GRAPH_APP_ID, GRAPH_RESOURCE, SUPPORT_APP_ID, SUPPORT_RESOURCE

__all__ = [
    "GRAPH_APP_ID",
    "GRAPH_RESOURCE",
    "SUPPORT_APP_ID",
    "SUPPORT_RESOURCE",
    "AccessToken",
    "TokenRejected",
    "verify_access_token",
]

CLOCK_SKEW = dt.timedelta(minutes=2)
# Entra's tokens are a few KB; anything far larger is refused before base64 or JSON parsing touches it.
MAX_TOKEN_BYTES = 16 * 1024


class TokenRejected(Exception):
    """The token is not acceptable; ``reason`` says why (safe to log, never contains the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AccessToken:
    tenant_id: str
    app_id: str
    audience: str
    roles: frozenset[str]
    version: Literal["1.0", "2.0"]
    claims: Mapping[str, Any]


def verify_access_token(context: CloudContext, token: str, *, audiences: Collection[str]) -> AccessToken:
    """Verify signature (RS256, a published key), issuer, audience, exp and nbf; raise ``TokenRejected``."""
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenRejected(f"token is longer than {MAX_TOKEN_BYTES} bytes")
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise TokenRejected(f"malformed token: {exc}") from exc
    if header.get("alg") != "RS256":
        raise TokenRejected("token is not signed with RS256")
    version = unverified.get("ver")
    tenant_id = unverified.get("tid")
    if version not in ("1.0", "2.0") or not isinstance(tenant_id, str):
        raise TokenRejected("token has no valid ver and tid claims")
    signing_key = _published_key(context, header.get("kid"))
    try:
        verified = jwt.decode(
            token,
            keys.public_key(signing_key),
            algorithms=["RS256"],
            audience=list(audiences),
            issuer=claims.issuer(context.settings, version, tenant_id),
            leeway=CLOCK_SKEW,
            options={"require": ["exp", "nbf", "iat", "aud", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise TokenRejected(f"token rejected: {exc}") from exc
    app_id = verified.get("appid") if version == "1.0" else verified.get("azp")
    if not isinstance(app_id, str):
        raise TokenRejected("token names no client application")
    return AccessToken(
        tenant_id=tenant_id,
        app_id=app_id,
        audience=verified["aud"],
        roles=frozenset(verified.get("roles", ())),
        version=version,
        claims=verified,
    )


def _published_key(context: CloudContext, kid: object) -> Any:
    grace = dt.timedelta(hours=context.settings.identity_key_grace_hours)
    with context.sessions() as session:
        published = keys.published_keys(session, grace)
    match = next((key for key in published if key.kid == kid), None)
    if match is None:
        raise TokenRejected("token is signed with a key that is not (or no longer) published")
    return match
