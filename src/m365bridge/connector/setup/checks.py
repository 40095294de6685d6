"""What each step can verify at once, before anything is saved: tokens, OIDC metadata, the integration user.

Network checks run outside the caller's session (see ``service``), so a SQLite write lock is never held
while the connector waits for another server, which may be calling the connector back.
"""

from __future__ import annotations

import re

from m365bridge.connector.auth.oidc.client import OIDCFetchError
from m365bridge.connector.auth.oidc.keys import cache_of
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.registry.service import OutboundCredentials
from m365bridge.connector.registry.token_client import TokenError, token_client
from m365bridge.connector.users.models import User
from m365bridge.connector.users.roles import INCIDENT_MANAGER
from m365bridge.shared.errors import UserError

GRAPH_RESOURCE = "https://graph.microsoft.com"
WRONG_SECRET = "AADSTS7000215"  # noqa: S105 (an Entra error code)
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def outbound_token(
    context: ConnectorContext, credentials: OutboundCredentials, resource: str, *, remember: bool = False
) -> str:
    """A fresh token for ``resource``, or a ``UserError`` that names the provider and what to fix
    (``remember``: see ``TokenClient.fetch_uncached``)."""
    try:
        return token_client(context).fetch_uncached(credentials, resource, remember=remember)
    except TokenError as exc:
        raise UserError(token_failure(credentials, exc, resource)) from None


def token_failure(credentials: OutboundCredentials, error: TokenError, resource: str) -> str:
    if WRONG_SECRET in str(error):
        return (
            f"The client secret of OAuth entity '{credentials.entity_name}' was refused by the identity "
            f"service ({WRONG_SECRET}); create a new secret for app {credentials.client_id} (its "
            "'Certificates & secrets') and paste its Value into the OAuth entity."
        )
    return f"No token for {resource}: {error}"


def oidc_metadata(context: ConnectorContext, metadata_url: str) -> str:
    """The issuer the metadata URL announces; a ``UserError`` when it does not answer properly."""
    try:
        issuer, _jwks = cache_of(context).client.metadata(metadata_url)
    except OIDCFetchError as exc:
        raise UserError(
            f"The OIDC metadata URL {metadata_url} does not answer with an OpenID configuration ({exc}). "
            "Use https://login.microsoftonline.com/{tenant}/.well-known/openid-configuration with your "
            "tenant id, and check that the connector can reach it."
        ) from None
    return issuer


def audience(client_id: str) -> str:
    """An OIDC entity's client id is the audience tokens must carry: the REST API app's id or App ID URI."""
    value = client_id.strip()
    if not (GUID.match(value) or value.startswith("api://") or value.startswith("https://")):
        raise UserError(
            f"The OIDC entity's client id {value!r} is not an audience: enter the REST API app's "
            "Application (client) ID or its Application ID URI (api://…)."
        )
    return value


def integration_user(user: User) -> None:
    """The cloud calls in as this user: it must be web-service-only and hold ``incident_manager``."""
    problems = []
    if not user.web_service_access_only:
        problems.append("is not flagged 'Web service access only'")
    if INCIDENT_MANAGER not in user.roles:
        problems.append(f"lacks the '{INCIDENT_MANAGER}' role")
    if not user.active or user.locked:
        problems.append("is inactive or locked")
    if problems:
        raise UserError(
            f"User '{user.user_name}' {' and '.join(problems)}; fix the user (System > Users) or choose "
            "another one. The integration user must be web-service-only and hold incident_manager."
        )
