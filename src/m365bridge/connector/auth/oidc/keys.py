"""OIDC providers' metadata and signing keys, fetched and kept per process, and the tokens already validated.

A provider whose metadata or keys cannot be fetched is not asked again for ``oidc_metadata_cooldown_seconds``:
a down provider is not hammered by every request, whose tokens are refused meanwhile. Keys older than
``jwks_max_age_seconds`` are never used: when their refetch fails, the provider's tokens are refused (fail
closed) rather than checked against keys it may have retired. Fetches are single-flight per URL, never under
a lock shared by all providers.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import jwt

from m365bridge.connector.auth.oidc.client import OIDCFetchError, OIDCProviderClient
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.http import outbound_client


@dataclass
class ProviderKeys:
    issuer: str
    jwks_uri: str
    keys: dict[str, Any] = field(default_factory=dict)
    # monotonic: when the keys were last fetched successfully, and when a fetch was last tried
    fetched_at: float = 0.0
    tried_at: float = 0.0
    # wall clock of the last successful fetch: a token is remembered no longer than its keys are trusted
    fetched_wall: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class Validated:
    """What a validated token stood for: its user, until when, and the entities that accepted it."""

    user_id: str
    expires: float
    entity_ids: tuple[str, ...]


@dataclass
class OIDCCache:
    """Per-process: provider metadata and keys, recent fetch failures, and tokens already validated.

    ``lock`` guards only these dictionaries; a fetch holds the lock of its own URL (single flight), so a
    slow provider never delays another provider's tokens.
    """

    client: OIDCProviderClient
    max_validated: int = 1000
    providers: dict[str, ProviderKeys] = field(default_factory=dict)
    failed_at: dict[str, float] = field(default_factory=dict)
    validated: OrderedDict[str, Validated] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url_locks: dict[str, threading.Lock] = field(default_factory=dict)

    def recall(self, digest: str) -> Validated | None:
        """What a still-valid remembered token stood for when it was validated."""
        with self.lock:
            entry = self.validated.get(digest)
            if entry is None:
                return None
            if entry.expires <= time.time():
                del self.validated[digest]
                return None
            self.validated.move_to_end(digest)
            return entry

    def remember(self, digest: str, user_id: str, expires: float, entity_ids: tuple[str, ...]) -> None:
        with self.lock:
            self.validated[digest] = Validated(user_id, expires, entity_ids)
            self.validated.move_to_end(digest)
            while len(self.validated) > self.max_validated:
                self.validated.popitem(last=False)

    def url_lock(self, url: str) -> threading.Lock:
        with self.lock:
            return self.url_locks.setdefault(url, threading.Lock())


def cache_of(context: ConnectorContext) -> OIDCCache:
    cache = context.extras.get("auth.oidc")
    if cache is None:
        client = OIDCProviderClient(outbound_client(context, name="oidc"))
        fresh = OIDCCache(client, max_validated=context.settings.oidc_validated_cache_size)
        cache = context.extras.setdefault("auth.oidc", fresh)
        if cache is not fresh:  # another thread built one first
            client.close()
    return cache


def _rsa_keys(jwks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        jwk["kid"]: jwt.PyJWK(jwk, algorithm="RS256").key
        for jwk in jwks
        if jwk.get("kty") == "RSA" and isinstance(jwk.get("kid"), str)
    }


def _load_keys(cache: OIDCCache, provider: ProviderKeys) -> None:
    """Refetch the JWKS (the caller holds ``provider.lock``). Stamped before fetching: a failed refetch
    waits out the cooldown like a successful one; keys past their max age are dropped by the caller."""
    provider.tried_at = time.monotonic()
    provider.keys = _rsa_keys(cache.client.jwks(provider.jwks_uri))
    provider.fetched_at = provider.tried_at
    provider.fetched_wall = time.time()


def provider_keys(cache: OIDCCache, metadata_url: str, cooldown: float) -> ProviderKeys:
    """The provider's issuer and keys; after a failed fetch, refuse without a call until the cooldown ends."""
    with cache.lock:
        known = cache.providers.get(metadata_url)
    if known is not None:
        return known
    with cache.url_lock(metadata_url):
        with cache.lock:
            known = cache.providers.get(metadata_url)
            failed_at = cache.failed_at.get(metadata_url)
        if known is not None:  # fetched by the request this one waited for
            return known
        if failed_at is not None and time.monotonic() - failed_at < cooldown:
            raise OIDCFetchError(f"{metadata_url} failed recently; not retried for {cooldown:.0f} s")
        try:
            issuer, jwks_uri = cache.client.metadata(metadata_url)
            known = ProviderKeys(issuer, jwks_uri)
            _load_keys(cache, known)
        except OIDCFetchError:
            with cache.lock:
                cache.failed_at[metadata_url] = time.monotonic()
            raise
        with cache.lock:
            cache.failed_at.pop(metadata_url, None)
            cache.providers[metadata_url] = known
        return known


def signing_key(
    cache: OIDCCache, provider: ProviderKeys, kid: str, cooldown: float, max_age: float
) -> Any | None:
    """The key for ``kid``; an unknown kid refetches the JWKS at most once per cooldown, and keys older
    than ``max_age`` are refetched, so a key the provider has retired is not trusted forever. When that
    refetch fails the old keys are dropped: until a fetch succeeds (tried again after the cooldown), the
    provider's tokens are refused rather than checked against keys that may have been retired."""
    with provider.lock:
        now = time.monotonic()
        stale = now - provider.fetched_at >= max_age
        failed_lately = provider.tried_at > provider.fetched_at and now - provider.tried_at < cooldown
        if stale and failed_lately:
            provider.keys = {}
        elif stale or (kid not in provider.keys and now - provider.tried_at >= cooldown):
            try:
                _load_keys(cache, provider)
            except OIDCFetchError:
                if stale:
                    provider.keys = {}
                raise
        return provider.keys.get(kid)


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
