"""The insights tests' world (the real cloud over https with the starter KB, two open issues on its Graph, a
connector trusting it) and helpers to read the built-in desk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.connector.app import create_app as create_connector_app
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.sync import sync_service_health
from m365bridge.connector.incidents import repository as incidents_repository
from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.incidents.table import Journal
from m365bridge.connector.servicedesk import desk_for
from m365bridge.connector.servicedesk.port import DeskIncident
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.setup.modes import Mode
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ServerCertificate
from tests.connector.insights.conftest import World
from tests.connector.insights.world import add_issue, cloud_tenant, outbound_entity, store_setup


@pytest.fixture
def world(
    tmp_path: Path,
    cloud_context: CloudContext,
    tls: ServerCertificate,
    new_database_url: Callable[[str], str | None],
) -> Iterator[World]:
    """As the insights tests' world, on the PostgreSQL pass's database too (the ledger's locking is the
    point there), set up in insights mode and synced."""
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
            database_url=new_database_url("connector"),
            ca_bundle=tls.ca_cert,
            health_sync_autostart=False,
        )
    )
    with (
        serving(create_cloud_app(context=cloud_context), tls=tls) as cloud,
        TestClient(create_connector_app(context=connector)) as client,
    ):
        entity = outbound_entity(connector, cloud.url, tenant)
        store_setup(connector, mode=Mode.INSIGHTS, entity_id=entity, cloud_url=cloud.url)
        synced = sync_service_health(connector, entity_id=entity, graph_url=f"{cloud.url}/graph")
        assert synced.error is None
        yield World(cloud_context, cloud.url, tenant, connector, client)
    connector.close()


def incident(world: World, sys_id: str) -> DeskIncident:
    """The incident as the desk reports it to the change handler."""
    with transaction(world.connector.sessions) as session:
        return desk_for(world.connector).get_incident(session, sys_id)


def change(world: World, sys_id: str, **fields: object) -> DeskIncident:
    with transaction(world.connector.sessions) as session:
        incidents.update_incident(session, incidents.get_incident(session, sys_id), fields, incidents.SYSTEM)
    return incident(world, sys_id)


def work_notes(world: World, sys_id: str) -> list[str]:
    with transaction(world.connector.sessions) as session:
        entries = incidents_repository.journal_for(session, sys_id, [Journal.WORK_NOTES])
        return [entry.value for entry in sorted(entries, key=lambda entry: entry.sys_created_on)]
