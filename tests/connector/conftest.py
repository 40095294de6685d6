"""Helpers for the connector's outbound tests: an OAuth provider in the registry."""

from __future__ import annotations

import pytest

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.registry import service
from m365bridge.shared.db import transaction

TENANT = "11111111-2222-3333-4444-555555555555"
TOKEN_URL = f"https://login.example.test/{TENANT}/oauth2/token"
CLIENT_SECRET = "s3cr3t-Value~not-the-ID"


@pytest.fixture
def outbound_entity(connector_context: ConnectorContext) -> str:
    with transaction(connector_context.sessions) as session:
        entity = service.create_entity(
            session,
            connector_context.secrets,
            name="Azure",
            client_id="aaaaaaaa-0000-0000-0000-000000000001",
            client_secret=CLIENT_SECRET,
            token_url=TOKEN_URL,
        )
        return entity.id
