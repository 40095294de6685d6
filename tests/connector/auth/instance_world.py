"""A ServiceNow stand-in (a second connector, served over https with the test CA) with agents of every
kind, and the connector under test configured for it: its instance connection and its sign-in client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from m365bridge.connector.app import create_app
from m365bridge.connector.auth.oauth import service as oauth_server
from m365bridge.connector.auth.servicenow import service as signin
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicenow import service as instance_connection
from m365bridge.connector.servicenow.auth import AuthType
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.users import service as users
from m365bridge.connector.users.roles import ADMIN, ITIL
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ServerCertificate

PASSWORD = "Instance-Pa55word!"
# Instance accounts: user name → instance roles.
ACCOUNTS = {"agent.itil": [ITIL], "agent.admin": [ADMIN], "agent.none": [], "m365.integration": [ITIL]}


@dataclass
class InstanceWorld:
    instance_url: str
    instance: ConnectorContext
    bridge: ConnectorContext
    client_id: str
    ca: Path

    def instance_user_id(self, user_name: str) -> str:
        with transaction(self.instance.sessions) as session:
            user = users.repository.by_user_name(session, user_name)
            assert user is not None
            return user.id


def _settings(tmp_path: Path, name: str, database_url: str | None, **extra: object) -> ConnectorSettings:
    return ConnectorSettings(
        data_dir=tmp_path / name,
        database_url=database_url,
        housekeeping_interval_seconds=0,
        health_sync_autostart=False,
        allow_private_endpoints=True,
        **extra,  # type: ignore[arg-type]
    )


@contextmanager
def instance_world(
    tmp_path: Path,
    tls: ServerCertificate,
    new_database_url: Callable[[str], str | None],
    bridge_url: str = "https://bridge.example.com",
) -> Iterator[InstanceWorld]:
    instance = ConnectorContext.build(_settings(tmp_path, "instance", new_database_url("instance")))
    bridge = ConnectorContext.build(
        _settings(
            tmp_path, "bridge", new_database_url("bridge"), ca_bundle=tls.ca_cert, public_url=bridge_url
        )
    )
    with transaction(instance.sessions, write=True) as session:
        for user_name, roles in ACCOUNTS.items():
            integration = user_name == "m365.integration"
            users.create_user(
                session, user_name, password=PASSWORD, roles=roles, web_service_access_only=integration
            )
        client, secret = oauth_server.create_client(
            session, "m365bridge sign-in", redirect_url=signin.redirect_uri(bridge.settings)
        )
        client_id = client.client_id
    try:
        with serving(create_app(context=instance), tls=tls) as server:
            wanted = instance_connection.ConnectionSettings(
                url=server.url, auth_type=AuthType.BASIC, user_name="m365.integration", password=PASSWORD
            )
            with transaction(bridge.sessions, write=True) as session:
                instance_connection.configure(session, bridge.secrets, wanted, allow_loopback_http=False)
                signin.set_client(session, bridge, client_id, secret)
            yield InstanceWorld(server.url, instance, bridge, client_id, tls.ca_cert)
    finally:
        bridge.close()
        instance.close()
