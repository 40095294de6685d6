"""Entra-issued (or any OIDC provider's) JWTs as bearer tokens.

Only RS256, only keys from the JWKS of a configured provider whose metadata ``issuer`` (or its configured
extra issuer, e.g. the v1 ``https://sts.windows.net/{tid}/`` next to v2 metadata) equals the token's
``iss``; the audience must be an active OIDC entity's client id of that provider, or the other form of the
same application (``<app id>`` and its App ID URI ``api://<app id>``: Entra writes the latter when the
resource was requested by its URI). The user claim (``appid``, or ``azp`` for v2 tokens) maps to exactly one
active user. Validated tokens are remembered by digest until they expire (at most
``oidc_validated_cache_size`` of them, least recently used dropped first), so a busy integration pays for the
signature check once per token; a remembered token is accepted only while the entities that accepted it are
still active in the database, so deleting one from another process (the CLI) takes effect at the next
database read (within ``auth_cache_seconds``). Metadata, keys and the remembered tokens live in ``keys``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from m365bridge.connector.auth.oidc import repository
from m365bridge.connector.auth.oidc.client import OIDCFetchError
from m365bridge.connector.auth.oidc.keys import OIDCCache, ProviderKeys, cache_of, provider_keys, signing_key
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.users import repository as users
from m365bridge.connector.users.service import can_sign_in
from m365bridge.shared.db import transaction
from m365bridge.shared.tokens import token_digest

MAX_TOKEN_BYTES = 16 * 1024
FORBIDDEN_HEADERS = ("jku", "x5u", "jwk", "crit", "x5c")
REQUIRED_CLAIMS = ["iss", "aud", "exp", "nbf", "iat"]
APP_ID_URI_PREFIX = "api://"
REASONS: list[tuple[type[Exception], str]] = [
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.ImmatureSignatureError, "token not yet valid"),
    (jwt.InvalidAudienceError, "wrong audience"),
    (jwt.InvalidIssuerError, "wrong issuer"),
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.MissingRequiredClaimError, "missing required claim"),
]


def app_id_forms(client_id: str) -> tuple[str, ...]:
    """The audiences naming the same application as ``client_id``: an app id (a GUID) and its default App
    ID URI ``api://<app id>``, whichever of the two the entity holds. Any other value stands for itself
    only: a custom URI says nothing about which app id it belongs to."""
    app_id = client_id.removeprefix(APP_ID_URI_PREFIX)
    if not _is_guid(app_id):
        return (client_id,)
    return (app_id, f"{APP_ID_URI_PREFIX}{app_id}")


def _is_guid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


@dataclass(frozen=True)
class _Config:
    metadata_url: str
    extra_issuer: str | None
    entities: tuple[tuple[str, str], ...]  # (entity id, client id) of the provider's active entities
    user_claim: str
    user_field: str
    clock_skew: int

    @property
    def audiences(self) -> list[str]:
        return sorted({form for _, client_id in self.entities for form in app_id_forms(client_id)})

    def entities_for(self, audience: str | list[str]) -> tuple[str, ...]:
        named = {audience} if isinstance(audience, str) else set(audience)
        return tuple(
            entity_id for entity_id, client_id in self.entities if named & set(app_id_forms(client_id))
        )


def _configs(context: ConnectorContext) -> list[_Config]:
    with transaction(context.sessions) as session:
        return [
            _Config(
                p.metadata_url,
                p.extra_issuer,
                tuple((e.id, e.client_id) for e in p.entities if e.active),
                p.user_claim,
                p.user_field,
                p.clock_skew,
            )
            for p in repository.active_providers(session)
        ]


def _wrong_claim_type(claims: dict[str, Any]) -> str | None:
    """The first claim whose type is wrong, checked before any claim is used (a list ``iss`` must be a
    refusal, not a crash)."""
    for name in ("iss", "ver", "appid", "azp"):
        if name in claims and not isinstance(claims[name], str):
            return name
    audience = claims.get("aud")
    if audience is not None and not (
        isinstance(audience, str)
        or (isinstance(audience, list) and all(isinstance(item, str) for item in audience))
    ):
        return "aud"
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            return name
    return None


def _check_header(token: str) -> dict[str, Any] | str:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:  # also a non-string kid or an unknown crit, which PyJWT refuses
        return "malformed token"
    if header.get("alg") != "RS256":
        return f"algorithm {header.get('alg')!r} not accepted"
    if any(name in header for name in FORBIDDEN_HEADERS):
        return "token header names its own key or critical extensions"
    if not isinstance(header.get("kid"), str):
        return "token has no kid"
    return header


def _principal_for(context: ConnectorContext, field_name: str, value: str) -> Principal | str:
    with transaction(context.sessions) as session:
        matches = [u for u in users.by_field(session, field_name, value, limit=5) if can_sign_in(u)]
        if len(matches) != 1:
            return "token maps to no active user" if not matches else "token maps to several users"
        return Principal.of(matches[0], "oidc")


def _remembered(context: ConnectorContext, cache: OIDCCache, digest: str) -> Principal | str | None:
    entry = cache.recall(digest)
    if entry is None:
        return None
    with transaction(context.sessions) as session:
        if not repository.any_entity_active(session, entry.entity_ids):
            return "the OIDC entity that accepted this token was removed or deactivated"
        user = users.by_id(session, entry.user_id)
        if user is None or not can_sign_in(user):
            return "token maps to no active user"
        return Principal.of(user, "oidc")


def resolve_jwt(context: ConnectorContext, token: str) -> Principal | str:
    """The principal of a provider-issued JWT, or a reason (safe to log) for refusing it."""
    if len(token) > MAX_TOKEN_BYTES:
        return "token too large"
    cache = cache_of(context)
    digest = token_digest(token)
    remembered = _remembered(context, cache, digest)
    if remembered is not None:
        return remembered
    header = _check_header(token)
    if isinstance(header, str):
        return header
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return "malformed token"
    wrong = _wrong_claim_type(unverified)
    if wrong is not None:
        return f"claim {wrong} has the wrong type"
    if "iss" not in unverified:
        return "missing required claim"
    try:
        outcome = _verify(context, cache, token, header["kid"], unverified["iss"])
    except OIDCFetchError as exc:
        return f"OIDC provider unreachable: {exc}"
    if isinstance(outcome, str):
        return outcome
    config, claims, keys = outcome
    value = claims.get(config.user_claim)
    if value is None and config.user_claim == "appid":
        value = claims.get("azp")  # v2 tokens name the calling app azp
    if not isinstance(value, str) or not value:
        return f"token has no {config.user_claim} claim"
    principal = _principal_for(context, config.user_field, value)
    if isinstance(principal, Principal):
        # Remembered no longer than its keys are trusted: a retired key's tokens must stop working too.
        until = min(float(claims["exp"]), keys.fetched_wall + context.settings.jwks_max_age_seconds)
        cache.remember(digest, principal.user_id, until, config.entities_for(claims["aud"]))
    return principal


def _verify(
    context: ConnectorContext, cache: OIDCCache, token: str, kid: str, issuer: str
) -> tuple[_Config, dict[str, Any], ProviderKeys] | str:
    for config in _configs(context):
        if not config.entities:
            continue
        keys = provider_keys(cache, config.metadata_url, context.settings.oidc_metadata_cooldown_seconds)
        if issuer not in {keys.issuer, config.extra_issuer}:
            continue
        settings = context.settings
        key = signing_key(cache, keys, kid, settings.jwks_cooldown_seconds, settings.jwks_max_age_seconds)
        if key is None:
            return "signing key not in the provider's JWKS"
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=config.audiences,
                issuer=issuer,
                leeway=config.clock_skew,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.InvalidTokenError as exc:
            return next((why for kind, why in REASONS if isinstance(exc, kind)), "invalid token")
        if not _version_matches_issuer(claims.get("ver"), issuer):
            return "token version does not match its issuer"
        return config, claims, keys
    return "issuer not trusted by any OIDC provider"


def _version_matches_issuer(version: Any, issuer: str) -> bool:
    """Entra writes v2 tokens under a ``…/v2.0`` issuer and v1 tokens under another; a token claiming
    one version under the other's issuer was not minted by Entra (the claims that name the caller differ)."""
    if version not in ("1.0", "2.0"):
        return version is None
    return (version == "2.0") == issuer.rstrip("/").endswith("/v2.0")
