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

from sqlalchemy.exc import IntegrityError

from m365bridge.cloud.cases import repository as cases_repository
from m365bridge.cloud.cases.client import ConnectorClient, GrantRejected, TokenResponse
from m365bridge.cloud.cases.models import ConnectorTokenState
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.integration.models import BASIC_AUTH, SupportRepository
from m365bridge.cloud.integration.service import credentials
from m365bridge.shared.db import transaction

# Renew a little before the issuer's expiry so a token never dies in flight.
EXPIRY_MARGIN = dt.timedelta(seconds=30)


class ConnectorAuth:
    def __init__(
        self, context: CloudContext, client: ConnectorClient, clock: Callable[[], dt.datetime]
    ) -> None:
        self._context = context
        self._client = client
        self._clock = clock

    def bearer(self, target: SupportRepository) -> str:
        """A valid access token for ``target``, from the cache or freshly obtained."""
        self._ensure_state_row(target.id)
        with transaction(self._context.sessions) as session:
            state = cases_repository.token_state(session, target.id)
            assert state is not None
            now = self._clock()
            if state.access_token_encrypted and state.access_expires_at and now < state.access_expires_at:
                return self._context.secrets.decrypt(state.access_token_encrypted)
            token = self._basic(target, state, now) if target.auth_type == BASIC_AUTH else self._aad(target)
            self._store(state, token, now, keep_refresh_issued=target.auth_type == BASIC_AUTH)
            return token.access_token

    def forget_access_token(self, target: SupportRepository) -> None:
        """After a 401: the next ``bearer`` call obtains a new access token (refresh first, for Basic)."""
        with transaction(self._context.sessions) as session:
            state = cases_repository.token_state(session, target.id)
            if state is not None:
                state.access_token_encrypted = None
                state.access_expires_at = None

    def _ensure_state_row(self, repository_pk: str) -> None:
        """Create the repository's token row on first use; a concurrent worker may create it first."""
        try:
            with transaction(self._context.sessions) as session:
                if cases_repository.token_state(session, repository_pk) is None:
                    session.add(ConnectorTokenState(repository_pk=repository_pk))
        except IntegrityError:
            return

    def _basic(
        self, target: SupportRepository, state: ConnectorTokenState, now: dt.datetime
    ) -> TokenResponse:
        secret = credentials(target, self._context.secrets)
        refresh_alive = (
            state.refresh_token_encrypted
            and state.refresh_issued_at
            and now < state.refresh_issued_at + dt.timedelta(seconds=target.refresh_token_expiry)
        )
        if refresh_alive and state.refresh_token_encrypted:
            try:
                return self._client.refresh_grant(
                    target.endpoint,
                    client_id=target.client_id,
                    client_secret=secret.client_secret,
                    refresh_token=self._context.secrets.decrypt(state.refresh_token_encrypted),
                )
            except GrantRejected:
                state.refresh_token_encrypted = None  # refused (expired or revoked): log in again below
        state.refresh_issued_at = None
        return self._client.password_grant(
            target.endpoint,
            client_id=target.client_id,
            client_secret=secret.client_secret,
            username=target.rest_username,
            password=secret.rest_password,
        )

    def _aad(self, target: SupportRepository) -> TokenResponse:
        secret = credentials(target, self._context.secrets)
        settings = self._context.settings
        base = (settings.identity_url or settings.base_url).rstrip("/")
        return self._client.client_credentials(
            f"{base}/{target.tenant_id}/oauth2/token",
            client_id=target.client_id,
            client_secret=secret.client_secret,
            resource=target.token_audience or target.client_id,
        )

    def _store(
        self, state: ConnectorTokenState, token: TokenResponse, now: dt.datetime, *, keep_refresh_issued: bool
    ) -> None:
        box = self._context.secrets
        state.access_token_encrypted = box.encrypt(token.access_token)
        state.access_expires_at = now + dt.timedelta(seconds=token.expires_in) - EXPIRY_MARGIN
        if keep_refresh_issued and token.refresh_token:
            new_refresh = state.refresh_issued_at is None
            state.refresh_token_encrypted = box.encrypt(token.refresh_token)
            if new_refresh:
                # A password grant starts the refresh token's life; refresh grants keep its start, since
                # the repository's expiry setting bounds how long one login may be extended.
                state.refresh_issued_at = now
