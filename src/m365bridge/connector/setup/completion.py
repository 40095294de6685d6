"""Step 6's values, which the tenant's admin copies into the cloud side's support integration settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session

from m365bridge.connector.auth.oauth.models import OAuthClient
from m365bridge.connector.auth.oidc.models import OIDCEntity
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.registry.models import OAuthEntity
from m365bridge.connector.setup import repository
from m365bridge.connector.setup.service import endpoint
from m365bridge.connector.users.models import User

Row = TypeVar("Row", OAuthEntity, OAuthClient, OIDCEntity, User)


@dataclass(frozen=True)
class CompletionValues:
    application_id: str
    repository_id: str
    endpoint: str
    client_id: str
    user_name: str

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("Application ID", self.application_id),
            ("Repository ID", self.repository_id),
            ("Endpoint", self.endpoint),
            ("Client ID", self.client_id),
            ("User Name", self.user_name),
        ]


def completion_values(session: Session, context: ConnectorContext) -> CompletionValues:
    """Application ID = the outbound app; Client ID = the OAuth client (Basic) or REST API app (AAD)."""
    state = repository.find(session)
    if state is None:
        return CompletionValues("", "", endpoint(context), "", "")
    outbound = _get(session, OAuthEntity, state.outbound_entity_id)
    client = _get(session, OAuthClient, state.inbound_oauth_client_id)
    oidc = _get(session, OIDCEntity, state.oidc_entity_id)
    user = _get(session, User, state.integration_user_id)
    return CompletionValues(
        application_id=outbound.client_id if outbound else "",
        repository_id=state.repository_id or "",
        endpoint=endpoint(context),
        client_id=client.client_id if client else (oidc.client_id if oidc else ""),
        user_name=user.user_name if user else "",
    )


def _get(session: Session, model: type[Row], key: str | None) -> Row | None:
    return session.get(model, key) if key else None
