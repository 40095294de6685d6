"""Entra-issued (or any OIDC provider's) JWTs as bearer tokens.

Only RS256, only keys from the JWKS of a configured provider whose metadata ``issuer`` (or its configured
extra issuer, e.g. the v1 ``https://sts.windows.net/{tid}/`` next to v2 metadata) equals the token's
``iss``; the audience must be an active OIDC entity's client id of that provider. The user claim (``appid``,
or ``azp`` for v2 tokens) maps to exactly one active user. Validated tokens are remembered by digest until
they expire (at most ``oidc_validated_cache_size`` of them, least recently used dropped first), so a busy
integration pays for the signature check once per token. A provider whose metadata or keys cannot be
fetched is not asked again for ``oidc_metadata_cooldown_seconds``: a down provider is not hammered by every
request, whose tokens are refused meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import jwt
from sqlalchemy import select

from m365bridge.connector.auth.dependencies import Principal
from m365bridge.connector.auth.models import OIDCProvider
from m365bridge.connector.auth.oidc_client import OIDCFetchError, OIDCProviderClient
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.users import repository as users
from m365bridge.connector.users.service import can_sign_in
from m365bridge.shared.db import transaction
from m365bridge.shared.tokens import token_digest

MAX_TOKEN_BYTES = 16 * 1024
FORBIDDEN_HEADERS = ("jku", "x5u", "jwk", "crit", "x5c")
REQUIRED_CLAIMS = ["iss", "aud", "exp", "nbf", "iat"]
REASONS: list[tuple[type[Exception], str]] = [
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.ImmatureSignatureError, "token not yet valid"),
    (jwt.InvalidAudienceError, "wrong audience"),
    (jwt.InvalidIssuerError, "wrong issuer"),
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.MissingRequiredClaimError, "missing required claim"),
]


@dataclass
class ProviderKeys:
    issuer: str
    jwks_uri: str
    keys: dict[str, Any] = field(default_factory=dict)
    fetched_at: float = 0.0


@dataclass
class OIDCCache:
    """Per-process: provider metadata and keys, recent fetch failures, and tokens already validated."""

    client: OIDCProviderClient
    max_validated: int = 1000
    providers: dict[str, ProviderKeys] = field(default_factory=dict)
    failed_at: dict[str, float] = field(default_factory=dict)
    validated: OrderedDict[str, tuple[str, float]] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def recall(self, digest: str) -> str | None:
        """The user id a still-valid remembered token stands for."""
        with self.lock:
            entry = self.validated.get(digest)
            if entry is None:
                return None
            if entry[1] <= time.time():
                del self.validated[digest]
                return None
            self.validated.move_to_end(digest)
            return entry[0]

    def remember(self, digest: str, user_id: str, expires: float) -> None:
        with self.lock:
            self.validated[digest] = (user_id, expires)
            self.validated.move_to_end(digest)
            while len(self.validated) > self.max_validated:
                self.validated.popitem(last=False)


def cache_of(context: ConnectorContext) -> OIDCCache:
    cache = context.extras.get("auth.oidc")
    if cache is None:
        client = OIDCProviderClient(context.settings.outbound_verify, policy=context.settings.outbound_policy)
        cache = context.extras.setdefault(
            "auth.oidc", OIDCCache(client, max_validated=context.settings.oidc_validated_cache_size)
        )
    return cache


def _load_keys(cache: OIDCCache, provider: ProviderKeys) -> None:
    # Stamped before fetching: a failed refetch waits out the cooldown like a successful one.
    provider.fetched_at = time.monotonic()
    keys = {}
    for jwk in cache.client.jwks(provider.jwks_uri):
        if jwk.get("kty") == "RSA" and isinstance(jwk.get("kid"), str):
            keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="RS256").key
    provider.keys = keys


def _provider_keys(cache: OIDCCache, metadata_url: str, cooldown: float) -> ProviderKeys:
    """The provider's issuer and keys; after a failed fetch, refuse without a call until the cooldown ends."""
    with cache.lock:
        known = cache.providers.get(metadata_url)
        if known is not None:
            return known
        failed_at = cache.failed_at.get(metadata_url)
        if failed_at is not None and time.monotonic() - failed_at < cooldown:
            raise OIDCFetchError(f"{metadata_url} failed recently; not retried for {cooldown:.0f} s")
        try:
            issuer, jwks_uri = cache.client.metadata(metadata_url)
            known = ProviderKeys(issuer, jwks_uri)
            _load_keys(cache, known)
        except OIDCFetchError:
            cache.failed_at[metadata_url] = time.monotonic()
            raise
        cache.failed_at.pop(metadata_url, None)
        cache.providers[metadata_url] = known
        return known


def _signing_key(
    cache: OIDCCache, provider: ProviderKeys, kid: str, cooldown: float, max_age: float
) -> Any | None:
    """The key for ``kid``; an unknown kid refetches the JWKS at most once per cooldown, and keys older
    than ``max_age`` are refetched, so a key the provider has retired is not trusted forever."""
    with cache.lock:
        age = time.monotonic() - provider.fetched_at
        if age >= max_age or (kid not in provider.keys and age >= cooldown):
            _load_keys(cache, provider)
        return provider.keys.get(kid)


@dataclass(frozen=True)
class _Config:
    metadata_url: str
    extra_issuer: str | None
    audiences: tuple[str, ...]
    user_claim: str
    user_field: str
    clock_skew: int


def _configs(context: ConnectorContext) -> list[_Config]:
    with transaction(context.sessions) as session:
        providers = session.scalars(select(OIDCProvider).where(OIDCProvider.active.is_(True))).all()
        return [
            _Config(
                p.metadata_url,
                p.extra_issuer,
                tuple(e.client_id for e in p.entities if e.active),
                p.user_claim,
                p.user_field,
                p.clock_skew,
            )
            for p in providers
        ]


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
    user_id = cache.recall(digest)
    if user_id is None:
        return None
    with transaction(context.sessions) as session:
        user = users.by_id(session, user_id)
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
    try:
        outcome = _verify(context, cache, token, header["kid"], unverified.get("iss"))
    except OIDCFetchError as exc:
        return f"OIDC provider unreachable: {exc}"
    if isinstance(outcome, str):
        return outcome
    config, claims = outcome
    value = claims.get(config.user_claim)
    if value is None and config.user_claim == "appid":
        value = claims.get("azp")  # v2 tokens name the calling app azp
    if not isinstance(value, str) or not value:
        return f"token has no {config.user_claim} claim"
    principal = _principal_for(context, config.user_field, value)
    if isinstance(principal, Principal):
        # Remembered no longer than its keys are trusted: a retired key's tokens must stop working too.
        until = min(float(claims["exp"]), time.time() + context.settings.jwks_max_age_seconds)
        cache.remember(digest, principal.user_id, until)
    return principal


def _verify(
    context: ConnectorContext, cache: OIDCCache, token: str, kid: str, issuer: Any
) -> tuple[_Config, dict[str, Any]] | str:
    for config in _configs(context):
        if not config.audiences:
            continue
        keys = _provider_keys(cache, config.metadata_url, context.settings.oidc_metadata_cooldown_seconds)
        if issuer not in {keys.issuer, config.extra_issuer}:
            continue
        settings = context.settings
        key = _signing_key(cache, keys, kid, settings.jwks_cooldown_seconds, settings.jwks_max_age_seconds)
        if key is None:
            return "signing key not in the provider's JWKS"
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=list(config.audiences),
                issuer=issuer,
                leeway=config.clock_skew,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.InvalidTokenError as exc:
            return next((why for kind, why in REASONS if isinstance(exc, kind)), "invalid token")
        if not _version_matches_issuer(claims.get("ver"), issuer):
            return "token version does not match its issuer"
        return config, claims
    return "issuer not trusted by any OIDC provider"


def _version_matches_issuer(version: Any, issuer: str) -> bool:
    """Entra writes v2 tokens under a ``…/v2.0`` issuer and v1 tokens under another; a token claiming
    one version under the other's issuer was not minted by Entra (the claims that name the caller differ)."""
    if version not in ("1.0", "2.0"):
        return version is None
    return (version == "2.0") == issuer.rstrip("/").endswith("/v2.0")


@dataclass(frozen=True)
class MetadataCheck:
    issuer: str
    jwks_uri: str
    key_count: int


def check_metadata(context: ConnectorContext, metadata_url: str) -> MetadataCheck:
    """Fetch a metadata URL and its JWKS now (for the admin's "Test" button); raises ``OIDCFetchError``."""
    client = cache_of(context).client
    issuer, jwks_uri = client.metadata(metadata_url)
    keys = [k for k in client.jwks(jwks_uri) if k.get("kty") == "RSA" and isinstance(k.get("kid"), str)]
    return MetadataCheck(issuer, jwks_uri, len(keys))


def forget_configuration(context: ConnectorContext, *metadata_urls: str) -> None:
    """After a provider or entity changed: drop those providers' cached metadata, keys and failures, and
    every remembered token (it may have been accepted through an entity that no longer exists)."""
    cache = cache_of(context)
    with cache.lock:
        for url in metadata_urls:
            cache.providers.pop(url, None)
            cache.failed_at.pop(url, None)
        cache.validated.clear()
