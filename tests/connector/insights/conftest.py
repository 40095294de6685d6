"""A served cloud and a connector (TestClient) trusting it, for the Microsoft 365 support tab tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.connector.auth.helpers import login, make_user
from tests.connector.insights.world import Tenant, add_issue, cloud_tenant

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.connector.app import create_app as create_connector_app
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.users.roles import INSIGHTS_USER, ITIL
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ServerCertificate


@dataclass
class World:
    cloud: CloudContext
    cloud_url: str
    tenant: Tenant
    connector: ConnectorContext
    client: TestClient

    def incident(self, short_description: str, description: str = "") -> str:
        with transaction(self.connector.sessions) as session:
            fields = {"short_description": short_description, "description": description}
            return incidents.create_incident(session, fields, incidents.SYSTEM).sys_id


@pytest.fixture
def world(tmp_path: Path, cloud_context: CloudContext, tls: ServerCertificate) -> Iterator[World]:
    tenant = cloud_tenant(cloud_context)
    add_issue(cloud_context, tenant, "EX100200", "Mail delivery delayed in Exchange Online")
    add_issue(
        cloud_context,
        tenant,
        "TM300400",
        "Meetings fail to start in Microsoft Teams",
        service="Microsoft Teams",
        feature="Meetings",
        featureGroup="Teams Components",
    )
    connector = ConnectorContext.build(
        ConnectorSettings(
            allow_private_endpoints=True,
            data_dir=tmp_path / "connector",
            ca_bundle=tls.ca_cert,
            health_sync_autostart=False,
        )
    )
    with (
        serving(create_cloud_app(context=cloud_context), tls=tls) as cloud,
        TestClient(create_connector_app(context=connector)) as client,
    ):
        make_user(connector, "agent", [INSIGHTS_USER, ITIL])
        login(client, "agent")
        yield World(cloud_context, cloud.url, tenant, connector, client)
    connector.close()
