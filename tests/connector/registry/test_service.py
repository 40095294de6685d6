from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.registry import service
from m365bridge.connector.registry.models import OAuthEntity
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import Conflict, UserError
from tests.connector.conftest import CLIENT_SECRET


def test_client_secret_is_encrypted_at_rest(
    connector_context: ConnectorContext, outbound_entity: str
) -> None:
    with connector_context.engine.connect() as conn:
        raw = conn.execute(text("SELECT client_secret FROM oauth_entity")).scalar_one()
    assert CLIENT_SECRET not in raw
    with transaction(connector_context.sessions) as session:
        credentials = service.outbound_credentials(session, connector_context.secrets, outbound_entity)
    assert credentials.client_secret == CLIENT_SECRET
    assert CLIENT_SECRET not in repr(credentials)


def test_entity_gets_a_default_profile(connector_context: ConnectorContext, outbound_entity: str) -> None:
    with transaction(connector_context.sessions) as session:
        entity = service.get_entity(session, outbound_entity)
        profile = service.default_profile(entity)
        assert profile is not None
        assert service.entity_for_profile(session, profile.id).id == outbound_entity


def test_other_grant_types_are_stored_but_refused_for_outbound(connector_context: ConnectorContext) -> None:
    with transaction(connector_context.sessions) as session:
        entity = service.create_entity(
            session,
            connector_context.secrets,
            name="Password app",
            client_id="c",
            client_secret="x",
            token_url="https://login.example.test/t/oauth2/token",
            grant_type="password",
        )
        with pytest.raises(UserError, match="client_credentials"):
            service.outbound_credentials(session, connector_context.secrets, entity.id)


def test_duplicate_name_changes_nothing(connector_context: ConnectorContext, outbound_entity: str) -> None:
    with pytest.raises(Conflict), transaction(connector_context.sessions) as session:
        service.create_entity(
            session,
            connector_context.secrets,
            name="Azure",
            client_id="other",
            client_secret="other",
            token_url="https://login.example.test/t/oauth2/token",
        )
    with transaction(connector_context.sessions) as session:
        assert session.scalar(select(func.count()).select_from(OAuthEntity)) == 1


def test_token_url_must_be_absolute(connector_context: ConnectorContext) -> None:
    with pytest.raises(UserError, match="token URL"), transaction(connector_context.sessions) as session:
        service.create_entity(
            session,
            connector_context.secrets,
            name="Bad",
            client_id="c",
            client_secret="s",
            token_url="login",
        )
