"""Configuring the instance connection and opening a client on it. Services never commit: callers run
them in ``transaction(..., write=True)`` units, never across an outbound call."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.http import outbound_client
from m365bridge.connector.servicenow import repository
from m365bridge.connector.servicenow.auth import (
    AuthType,
    BasicAuthenticator,
    Credentials,
    OAuthAuthenticator,
    Tokens,
)
from m365bridge.connector.servicenow.client import Authenticator, InstanceClient, check_instance_url
from m365bridge.connector.servicenow.models import AGENT_VIEWS, DEFAULT_NAME, InstanceConnection
from m365bridge.connector.servicenow.records import Watermark
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import NotFound, UserError
from m365bridge.shared.secretbox import SecretBox

LOG_SOURCE = "servicenow_instance"  # the outbound HTTP log's source for every call to the instance
NOT_CONFIGURED = (
    "no ServiceNow instance is configured; run 'm365bridge connector servicenow configure --url https://"
    "<name>.service-now.com --auth-type basic --user-name <account>'"
)


@dataclass(frozen=True)
class ConnectionSettings:
    """What an admin types in: checked by ``configure`` before anything is stored."""

    url: str
    auth_type: AuthType
    user_name: str = ""
    password: str | None = None
    client_id: str = ""
    client_secret: str | None = None


def configure(
    session: Session, secrets: SecretBox, wanted: ConnectionSettings, *, allow_loopback_http: bool
) -> InstanceConnection:
    """Create or replace the connection. Every refusal happens before a column changes; new credentials
    drop the stored tokens (they belong to the old ones) but keep the poll's watermark."""
    url = check_instance_url(wanted.url, allow_loopback_http=allow_loopback_http)
    connection = repository.get_for_update(session)
    _check_complete(wanted, connection)
    if connection is None:
        connection = repository.add(
            session, InstanceConnection(name=DEFAULT_NAME, url=url, auth_type=wanted.auth_type)
        )
    connection.url = url
    connection.auth_type = wanted.auth_type
    connection.user_name = (
        wanted.user_name.strip() if wanted.auth_type is not AuthType.CLIENT_CREDENTIALS else ""
    )
    connection.client_id = wanted.client_id.strip() if wanted.auth_type is not AuthType.BASIC else ""
    if wanted.password is not None:
        connection.password = secrets.encrypt(wanted.password)
    if wanted.client_secret is not None:
        connection.client_secret = secrets.encrypt(wanted.client_secret)
    if wanted.auth_type is AuthType.BASIC:
        connection.client_secret = None
    if wanted.auth_type is AuthType.CLIENT_CREDENTIALS:
        connection.password = None
    connection.access_token = connection.refresh_token = None
    connection.access_expires_at = connection.refresh_expires_at = None
    session.flush()
    return connection


def _check_complete(wanted: ConnectionSettings, stored: InstanceConnection | None) -> None:
    """Say every missing piece at once; a stored secret counts, so that changing the URL needs no retyping."""
    missing = []
    needs_user = wanted.auth_type in (AuthType.BASIC, AuthType.PASSWORD)
    needs_client = wanted.auth_type in (AuthType.PASSWORD, AuthType.CLIENT_CREDENTIALS)
    if needs_user and not wanted.user_name.strip():
        missing.append("--user-name")
    if needs_user and not wanted.password and not (stored and stored.password):
        missing.append("a password")
    if needs_client and not wanted.client_id.strip():
        missing.append("--client-id (System OAuth > Application Registry)")
    if needs_client and not wanted.client_secret and not (stored and stored.client_secret):
        missing.append("a client secret")
    if missing:
        raise UserError(f"auth type {wanted.auth_type.value} needs {', '.join(missing)}")


def find_connection(session: Session) -> InstanceConnection | None:
    return repository.get(session)


def get_connection(session: Session) -> InstanceConnection:
    connection = repository.get(session)
    if connection is None:
        raise NotFound(NOT_CONFIGURED)
    return connection


def credentials(connection: InstanceConnection, secrets: SecretBox) -> Credentials:
    def plain(token: str | None) -> str:
        return secrets.decrypt(token) if token else ""

    return Credentials(
        auth_type=AuthType(connection.auth_type),
        user_name=connection.user_name,
        password=plain(connection.password),
        client_id=connection.client_id,
        client_secret=plain(connection.client_secret),
    )


def stored_tokens(connection: InstanceConnection, secrets: SecretBox) -> Tokens | None:
    if not connection.access_token or connection.access_expires_at is None:
        return None
    return Tokens(
        access_token=secrets.decrypt(connection.access_token),
        access_expires_at=connection.access_expires_at,
        refresh_token=secrets.decrypt(connection.refresh_token) if connection.refresh_token else "",
        refresh_expires_at=connection.refresh_expires_at,
    )


def store_tokens(context: ConnectorContext, tokens: Tokens) -> None:
    """Keep the newest tokens (a rotated refresh token above all) in a writer unit of their own."""
    with transaction(context.sessions, write=True) as session:
        connection = get_connection(session)
        connection.access_token = context.secrets.encrypt(tokens.access_token)
        connection.access_expires_at = tokens.access_expires_at
        connection.refresh_token = (
            context.secrets.encrypt(tokens.refresh_token) if tokens.refresh_token else None
        )
        connection.refresh_expires_at = tokens.refresh_expires_at


def use_instance(session: Session, enabled: bool) -> InstanceConnection | None:
    """Make the configured instance the desk in use (or go back to the built-in desk, which needs no
    connection; a stored one stays, switched off, so switching back needs no retyping). Processes see the
    change within ``servicedesk.CHOICE_TTL`` seconds."""
    connection = repository.get_for_update(session)
    if connection is None:
        if enabled:
            raise NotFound(NOT_CONFIGURED)
        return None
    connection.enabled = enabled
    session.flush()
    return connection


def set_agent_view(session: Session, view: str) -> InstanceConnection:
    """What agents see on an instance incident: ``work_notes``, ``tab`` or ``both``."""
    if view not in AGENT_VIEWS:
        raise UserError(f"agent view {view!r} is not one of: {', '.join(AGENT_VIEWS)}")
    connection = get_connection(session)
    connection.agent_view = view
    session.flush()
    return connection


def instance_in_use(session: Session) -> bool:
    connection = repository.get(session)
    return bool(connection and connection.enabled)


def posts_work_notes(session: Session) -> bool:
    """Whether agents get the connector's work notes (``agent_view`` work_notes or both)."""
    connection = repository.get(session)
    return bool(connection and connection.agent_view in ("work_notes", "both"))


def watermark(session: Session) -> Watermark:
    connection = get_connection(session)
    return Watermark(connection.poll_updated_on, frozenset(connection.poll_sys_ids or ()))


def store_watermark(session: Session, mark: Watermark) -> None:
    connection = get_connection(session)
    connection.poll_updated_on = mark.updated_on
    connection.poll_sys_ids = sorted(mark.sys_ids)


def open_client(context: ConnectorContext) -> InstanceClient:
    """A client on the configured instance; reads the connection in a short unit of its own first."""
    with transaction(context.sessions) as session:
        connection = get_connection(session)
        allow_http = context.settings.servicenow_allow_loopback_http
        url = check_instance_url(connection.url, allow_loopback_http=allow_http)
        creds = credentials(connection, context.secrets)
        tokens = stored_tokens(connection, context.secrets)
    authenticator: Authenticator
    if creds.auth_type is AuthType.BASIC:
        authenticator = BasicAuthenticator(creds)
    else:
        token_http = outbound_client(context, name=LOG_SOURCE, base_url=url)
        authenticator = OAuthAuthenticator(
            token_http, creds, tokens, on_tokens=lambda new: store_tokens(context, new)
        )
    return InstanceClient(
        outbound_client(context, name=LOG_SOURCE, base_url=url),
        authenticator,
        max_retry_after=context.settings.servicenow_max_retry_after_seconds,
    )
