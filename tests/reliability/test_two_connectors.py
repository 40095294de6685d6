"""Two connectors (each with its own engine, as two processes would have) on one PostgreSQL database run
the service health sync and the auto-incidents at the same time: each Microsoft issue gets exactly one ITSM
incident. The sync's lease lets one run at a time; the incident links' primary key settles the race."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph.generator import generate
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.auto_incidents import apply_auto_incidents
from m365bridge.connector.health.models import AutoIncidentSettings, ServiceHealthIssue
from m365bridge.connector.health.sync import sync_service_health
from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ServerCertificate
from tests.connector.insights.world import cloud_tenant, outbound_entity
from tests.reliability.conftest import soak_size

pytestmark = pytest.mark.postgres
ROUNDS = 3


def test_two_connectors_syncing_at_once_make_one_incident_per_issue(
    tmp_path: Path, tls: ServerCertificate, new_database_url: Callable[[str], str | None]
) -> None:
    count = soak_size("scale_issues", 100)
    cloud = CloudContext.build(CloudSettings(data_dir=tmp_path / "cloud", graph_max_page_size=25))
    settings = ConnectorSettings(
        allow_private_endpoints=True,
        data_dir=tmp_path / "connector",
        database_url=new_database_url("connector"),
        ca_bundle=tls.ca_cert,
        health_sync_autostart=False,
    )
    connectors = [ConnectorContext.build(settings), ConnectorContext.build(settings)]
    tenant = cloud_tenant(cloud, knowledge=False)
    with transaction(cloud.sessions) as session:
        still_open = {
            issue.id for issue in generate(session, tenant.tenant_id, count) if not issue.is_resolved
        }
    with transaction(connectors[0].sessions) as session:
        session.add(
            AutoIncidentSettings(id=1, enabled=True, assignment_group="M365 desk", category="software")
        )
    try:
        assert connectors[0].engine.dialect.name == "postgresql"
        with serving(create_cloud_app(context=cloud), tls=tls) as server:
            entity_id = outbound_entity(connectors[0], server.url, tenant)
            failures: list[str] = []

            def work(connector: ConnectorContext) -> None:
                for _ in range(ROUNDS):
                    outcome = sync_service_health(
                        connector, entity_id=entity_id, graph_url=f"{server.url}/graph"
                    )
                    if outcome.error:
                        failures.append(outcome.error)
                    apply_auto_incidents(connector)

            runs = [threading.Thread(target=work, args=(connector,)) for connector in connectors]
            for run in runs:
                run.start()
            for run in runs:
                run.join(timeout=120)
        assert failures == []
        with transaction(connectors[1].sessions) as session:
            assert len(session.scalars(select(ServiceHealthIssue.id)).all()) == count
            made = Counter(
                session.scalars(select(Incident.correlation_id).where(Incident.correlation_id != ""))
            )
        assert set(made) == still_open
        assert set(made.values()) == {1}, [issue for issue, n in made.items() if n > 1]
    finally:
        for connector in connectors:
            connector.close()
        cloud.close()
