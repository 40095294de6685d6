"""The insights tests' world (the real cloud over https with the starter KB, two open issues on its Graph, a
connector trusting it), set up in insights mode and synced, with helpers to read the built-in desk."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from m365bridge.connector.health.sync import sync_service_health
from m365bridge.connector.incidents import repository as incidents_repository
from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.incidents.table import Journal
from m365bridge.connector.servicedesk import desk_for
from m365bridge.connector.servicedesk.port import DeskIncident
from m365bridge.connector.setup.modes import Mode
from m365bridge.shared.db import transaction
from tests.connector.insights.conftest import World
from tests.connector.insights.conftest import world as insights_world  # noqa: F401  (a fixture)
from tests.connector.insights.world import outbound_entity, store_setup


@pytest.fixture
def world(insights_world: World) -> Iterator[World]:  # noqa: F811
    entity = outbound_entity(insights_world.connector, insights_world.cloud_url, insights_world.tenant)
    store_setup(
        insights_world.connector, mode=Mode.INSIGHTS, entity_id=entity, cloud_url=insights_world.cloud_url
    )
    graph_url = f"{insights_world.cloud_url}/graph"
    assert sync_service_health(insights_world.connector, entity_id=entity, graph_url=graph_url).error is None
    yield insights_world


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
