"""Bearer tokens for calling a repository's endpoint, by its authentication type.

Basic Auth (ServiceNow OAuth): a password grant with the repository's client id/secret and rest user; then
refresh-token grants while the refresh token is younger than the repository's "Refresh token expiry"; a
fresh password grant after that or whenever the refresh token is refused.

AAD Auth: a client-credentials token from the identity service, as the REST user app (client id/secret),
for the REST API app's audience, from ``{identity_url}/{tenant}/oauth2/token``. The support service asks
over HTTP like any Entra client would, so the same code works against a real Entra and the connector's
token validation (issuer, signature, audience) sees exactly what Entra would issue.

Tokens are kept per repository in ``support_connector_tokens``, encrypted, so a restarted worker or a
second worker reuses them instead of logging in again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from m365bridge.cloud.connectors import repository
from m365bridge.cloud.connectors.client import ConnectorClient, GrantRejected, TokenResponse
from m365bridge.cloud.connectors.target import BASIC_AUTH, Target
from m365bridge.cloud.context import CloudContext
from m365bridge.shared.db import transaction
from m365bridge.shared.secretbox import SecretBox

# Renew a little before the issuer's expiry so a token rarely dies in flight (a 401 still renews it), but
# never more than a tenth of its lifespan early: a short-lived token must still be reused.
EXPIRY_MARGIN = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class Tokens:
    """A repository's tokens in the clear, only in memory."""

    access: str | None = None
    access_expires_at: dt.datetime | None = None
    refresh: str | None = None
    refresh_issued_at: dt.datetime | None = None


@dataclass(frozen=True)
class Credentials:
    """The decrypted secrets of a connector, for the one moment a call needs them."""

    client_secret: str
    rest_password: str


def credentials(target: Target, secrets: SecretBox) -> Credentials:
    def plain(token: str | None) -> str:
        return secrets.decrypt(token) if token else ""

    return Credentials(
        client_secret=plain(target.client_secret_encrypted),
        rest_password=plain(target.rest_password_encrypted),
    )


class ConnectorAuth:
    def __init__(
        self, context: CloudContext, client: ConnectorClient, clock: Callable[[], dt.datetime]
    ) -> None:
        self._context = context
        self._client = client
        self._clock = clock

    def bearer(self, target: Target, *, fresh: bool = False) -> str:
        """A valid access token for ``target``, from the cache or (``fresh``: always) newly obtained.

        No transaction stays open over the token call, and the write starts with a write, so SQLite
        writers queue on the busy timeout instead of failing on a stale read snapshot.
        """
        cached = Tokens() if fresh else self._load(target.id)
        now = self._clock()
        if cached.access and cached.access_expires_at and now < cached.access_expires_at:
            return cached.access
        if target.auth_type == BASIC_AUTH:
            issued = self._basic(target, cached, now)
        else:
            issued = self._aad(target, now)
        self._save(target.id, issued)
        assert issued.access is not None
        return issued.access

    def forget_access_token(self, target: Target) -> None:
        """After a 401: the next ``bearer`` call obtains a new access token (refresh first, for Basic)."""
        with transaction(self._context.sessions, write=True) as session:
            repository.update_token_state(
                session, target.id, access_token_encrypted=None, access_expires_at=None
            )

    def _load(self, repository_pk: str) -> Tokens:
        with transaction(self._context.sessions) as session:
            state = repository.token_state(session, repository_pk)
            if state is None:
                return Tokens()
            box = self._context.secrets
            return Tokens(
                access=box.decrypt(state.access_token_encrypted) if state.access_token_encrypted else None,
                access_expires_at=state.access_expires_at,
                refresh=box.decrypt(state.refresh_token_encrypted) if state.refresh_token_encrypted else None,
                refresh_issued_at=state.refresh_issued_at,
            )

    def _save(self, repository_pk: str, tokens: Tokens) -> None:
        box = self._context.secrets
        values = {
            "access_token_encrypted": box.encrypt(tokens.access) if tokens.access else None,
            "access_expires_at": tokens.access_expires_at,
            "refresh_token_encrypted": box.encrypt(tokens.refresh) if tokens.refresh else None,
            "refresh_issued_at": tokens.refresh_issued_at,
        }
        with transaction(self._context.sessions, write=True) as session:
            if repository.update_token_state(session, repository_pk, **values):
                return
        try:
            with transaction(self._context.sessions, write=True) as session:
                repository.add_token_state(session, repository_pk, **values)
        except IntegrityError:
            # Another worker stored its tokens first; ours are just as valid, so store them over its.
            with transaction(self._context.sessions, write=True) as session:
                repository.update_token_state(session, repository_pk, **values)

    def _access_until(self, now: dt.datetime, token: TokenResponse) -> dt.datetime:
        lifespan = dt.timedelta(seconds=token.expires_in)
        return now + lifespan - min(EXPIRY_MARGIN, lifespan / 10)

    def _basic(self, target: Target, cached: Tokens, now: dt.datetime) -> Tokens:
        secret = credentials(target, self._context.secrets)
        expiry = dt.timedelta(seconds=target.refresh_token_expiry)
        if cached.refresh and cached.refresh_issued_at and now < cached.refresh_issued_at + expiry:
            try:
                token = self._client.refresh_grant(
                    target.endpoint,
                    client_id=target.client_id,
                    client_secret=secret.client_secret,
                    refresh_token=cached.refresh,
                )
            except GrantRejected:
                pass  # expired or revoked on the connector's side: log in again below
            else:
                # The login's refresh token keeps its issue time: "Refresh token expiry" bounds how long
                # one password grant may be extended.
                return Tokens(
                    token.access_token,
                    self._access_until(now, token),
                    token.refresh_token or cached.refresh,
                    cached.refresh_issued_at,
                )
        token = self._client.password_grant(
            target.endpoint,
            client_id=target.client_id,
            client_secret=secret.client_secret,
            username=target.rest_username,
            password=secret.rest_password,
        )
        return Tokens(token.access_token, self._access_until(now, token), token.refresh_token, now)

    def _aad(self, target: Target, now: dt.datetime) -> Tokens:
        secret = credentials(target, self._context.secrets)
        settings = self._context.settings
        base = (settings.identity_url or settings.base_url).rstrip("/")
        token = self._client.client_credentials(
            f"{base}/{target.tenant_id}/oauth2/token",
            client_id=target.client_id,
            client_secret=secret.client_secret,
            resource=target.token_audience or target.client_id,
        )
        return Tokens(token.access_token, self._access_until(now, token))
