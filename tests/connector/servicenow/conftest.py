"""The stand-in instance: a second connector (its built-in service desk, Table API and ``/oauth_token.do``)
served over https with the test CA, and the connector under test configured to reach it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from m365bridge.connector.app import create_app
from m365bridge.connector.auth.oauth import service as oauth_server
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicenow import service
from m365bridge.connector.servicenow.auth import AuthType
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.users import service as users
from m365bridge.connector.users.roles import INSIGHTS_USER, ITIL
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ServerCertificate

INTEGRATION = "m365.integration"
READER = "m365.reader"
PASSWORD = "Integration-Pa55word!"


@dataclass
class StandIn:
    url: str
    context: ConnectorContext
    client_id: str
    client_secret: str
    ca: Path


def _settings(tmp_path: Path, name: str, database_url: str | None, **extra: object) -> ConnectorSettings:
    return ConnectorSettings(
        data_dir=tmp_path / name,
        database_url=database_url,
        housekeeping_interval_seconds=0,
        health_sync_autostart=False,
        # The stand-in instance is served on loopback, which only the development setting admits.
        allow_private_endpoints=True,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def stand_in(
    tmp_path: Path, tls: ServerCertificate, new_database_url: Callable[[str], str | None]
) -> Iterator[StandIn]:
    context = ConnectorContext.build(_settings(tmp_path, "instance", new_database_url("instance")))
    with transaction(context.sessions, write=True) as session:
        users.create_user(session, INTEGRATION, password=PASSWORD, roles=[ITIL], web_service_access_only=True)
        users.create_user(session, READER, password=PASSWORD, roles=[INSIGHTS_USER])
        client, secret = oauth_server.create_client(session, "m365bridge")
        client_id = client.client_id
    with serving(create_app(context=context), tls=tls) as server:
        yield StandIn(server.url, context, client_id, secret, tls.ca_cert)
    context.close()


@pytest.fixture
def bridge(
    tmp_path: Path, tls: ServerCertificate, new_database_url: Callable[[str], str | None]
) -> Iterator[ConnectorContext]:
    """The connector under test, trusting the test CA."""
    context = ConnectorContext.build(
        _settings(tmp_path, "bridge", new_database_url("bridge"), ca_bundle=tls.ca_cert)
    )
    yield context
    context.close()


def connect(
    bridge: ConnectorContext, stand_in: StandIn, auth_type: AuthType, *, user: str = INTEGRATION
) -> None:
    wanted = service.ConnectionSettings(
        url=stand_in.url,
        auth_type=auth_type,
        user_name=user,
        password=PASSWORD,
        client_id=stand_in.client_id if auth_type is not AuthType.BASIC else "",
        client_secret=stand_in.client_secret if auth_type is not AuthType.BASIC else None,
    )
    with transaction(bridge.sessions, write=True) as session:
        service.configure(session, bridge.secrets, wanted, allow_loopback_http=False)
