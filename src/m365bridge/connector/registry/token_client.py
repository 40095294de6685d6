"""Access tokens for outbound calls: client credentials against the registry's token URL, cached per key.

Built on Authlib's httpx ``OAuth2Client``: a maintained OAuth 2 client that already speaks the token
endpoint's form encoding, client authentication and error bodies, and that takes the same keyword arguments
as ``httpx.Client`` so the outbound CA bundle, timeouts and log apply to token requests too. MSAL would also
work against Entra, but it insists on its own HTTP stack and on v2-style scopes, and the outbound provider is
the v1 endpoint with a ``resource``.

Tokens are cached per (entity, resource) until ``token_expiry_skew_seconds`` before they expire. One lock per
key makes concurrent callers wait for a single request instead of each fetching a token.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from authlib.integrations.base_client.errors import OAuthError

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.http import outbound_client_options, retry_after_seconds
from m365bridge.connector.registry.service import OutboundCredentials, outbound_credentials
from m365bridge.shared.db import transaction

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 fork and warns when it falls back to httpx; this project (respx,
    # Starlette's TestClient) is on httpx, which Authlib still fully supports.
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import OAuth2Client

RETRIABLE_OAUTH_ERRORS = frozenset({"temporarily_unavailable", "server_error"})
# Entra's codes for the mistakes an administrator makes while copying values between portals.
AADSTS_HINTS = {
    "AADSTS7000215": "its client secret is wrong: paste the secret's Value (not its Secret ID) from the "
    "outbound app's 'Certificates & secrets' into the OAuth registry",
    "AADSTS7000222": "its client secret has expired: create a new one in the outbound app and update the "
    "OAuth registry",
    "AADSTS700016": "the client id is not an application in that tenant: check the client id and the tenant "
    "in the token URL",
    "AADSTS90002": "the tenant in the token URL does not exist: check the token URL",
    "AADSTS500011": "the resource is not known to the tenant: check the resource / scope parameter",
}


class TokenError(Exception):
    """Getting a token failed; ``str()`` names the OAuth provider and never includes its secret."""

    def __init__(self, message: str, *, entity_name: str) -> None:
        super().__init__(message)
        self.entity_name = entity_name


class TokenPermanentError(TokenError):
    """The provider's configuration is wrong; retrying will not help until someone fixes it."""


class TokenRetriableError(TokenError):
    """The token service is unreachable, failing or throttling; try again later."""

    def __init__(self, message: str, *, entity_name: str, retry_after: float | None = None) -> None:
        super().__init__(message, entity_name=entity_name)
        self.retry_after = retry_after


@dataclass(frozen=True)
class CachedToken:
    value: str = field(repr=False)
    renew_at: float


class TokenClient:
    def __init__(self, context: ConnectorContext, *, clock: Callable[[], float] = time.time) -> None:
        self._context = context
        self._clock = clock
        self._tokens: dict[tuple[str, str], CachedToken] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()
        self._lookups = context.metrics.counter(
            "token_cache_lookups", "Outbound access tokens asked for, by cache hit or miss.", ("outcome",)
        )

    def get_token(self, entity_id: str, resource: str) -> str:
        """A valid access token for ``resource`` from the OAuth provider ``entity_id``."""
        key = (entity_id, resource)
        with self._lock_for(key):
            cached = self._tokens.get(key)
            if cached and self._clock() < cached.renew_at:
                self._lookups.labels(outcome="hit").inc()
                return cached.value
            self._lookups.labels(outcome="miss").inc()
            with transaction(self._context.sessions) as session:
                credentials = outbound_credentials(session, self._context.secrets, entity_id)
            self._tokens[key] = self._fetch(credentials, resource)
            return self._tokens[key].value

    def fetch_uncached(
        self, credentials: OutboundCredentials, resource: str, *, remember: bool = False
    ) -> str:
        """A new token for ``credentials`` without the cache: setup validates a provider (maybe not yet
        committed, maybe with a just-changed secret) before it saves the choice.

        ``remember``: the credentials are the stored provider's (Test connection), so the new token also
        replaces the cached one and the calls that follow (the first service health sync) need not ask again.
        """
        fetched = self._fetch(credentials, resource)
        if remember:
            key = (credentials.entity_id, resource)
            with self._lock_for(key):
                self._tokens[key] = fetched
        return fetched.value

    def invalidate(self, entity_id: str | None = None) -> None:
        """Forget cached tokens (of one provider, or all), e.g. after its secret changed or a 401."""
        with self._guard:
            for key in [k for k in self._tokens if entity_id in (None, k[0])]:
                del self._tokens[key]

    def _lock_for(self, key: tuple[str, str]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _fetch(self, credentials: OutboundCredentials, resource: str) -> CachedToken:
        params = dict(credentials.extra_params)
        if "/oauth2/v2.0/" in credentials.token_url:
            params.pop("resource", None)
            params["scope"] = f"{resource.rstrip('/')}/.default"
        else:
            params["resource"] = resource
        options = outbound_client_options(self._context, name="oauth_token")
        name = credentials.entity_name
        with OAuth2Client(
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            token_endpoint_auth_method="client_secret_post",  # noqa: S106 (a method name)
            **options,
        ) as client:
            client.register_compliance_hook("access_token_response", _raise_if_unavailable(name))
            try:
                token = client.fetch_token(credentials.token_url, grant_type="client_credentials", **params)
            except OAuthError as exc:
                raise _oauth_error(name, exc.error or "", exc.description or "") from None
            except httpx.HTTPStatusError as exc:
                raise TokenPermanentError(
                    f"OAuth provider '{name}': the token URL answered HTTP {exc.response.status_code} "
                    "without an OAuth error; check the token URL.",
                    entity_name=name,
                ) from None
            except httpx.TransportError as exc:
                raise TokenRetriableError(
                    f"OAuth provider '{name}': cannot reach the token URL ({type(exc).__name__}).",
                    entity_name=name,
                ) from None
        expires_in = int(token.get("expires_in") or 3600)
        renew_at = self._clock() + max(0, expires_in - self._context.settings.token_expiry_skew_seconds)
        return CachedToken(value=str(token["access_token"]), renew_at=renew_at)


def _raise_if_unavailable(entity_name: str) -> Callable[[httpx.Response], httpx.Response]:
    def check(response: httpx.Response) -> httpx.Response:
        if response.status_code == 429 or response.status_code >= 500:
            raise TokenRetriableError(
                f"OAuth provider '{entity_name}': the token service answered HTTP {response.status_code}; "
                "retry later.",
                entity_name=entity_name,
                retry_after=retry_after_seconds(response),
            )
        return response

    return check


def _oauth_error(entity_name: str, error: str, description: str) -> TokenError:
    code = description.split(":", 1)[0].strip() if description.startswith("AADSTS") else ""
    if error in RETRIABLE_OAUTH_ERRORS:
        return TokenRetriableError(
            f"OAuth provider '{entity_name}': the token service is unavailable ({error}); retry later.",
            entity_name=entity_name,
        )
    hint = AADSTS_HINTS.get(code, "check its client id, client secret, token URL and resource")
    return TokenPermanentError(
        f"OAuth provider '{entity_name}' was refused a token ({error}{', ' + code if code else ''}): {hint}.",
        entity_name=entity_name,
    )


def token_client(context: ConnectorContext) -> TokenClient:
    """The process-wide token client of this context (one cache per running connector)."""
    existing = context.extras.get("token_client")
    if isinstance(existing, TokenClient):
        return existing
    return context.extras.setdefault("token_client", TokenClient(context))
