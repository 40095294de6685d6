"""The real cloud over https (identity, Graph, support service, starter KB), a connector (TestClient) trusting
it, and the doctor's helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.connector.app import create_app as create_connector_app
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.troubleshooting.report import DoctorReport, Failure
from m365bridge.connector.troubleshooting.service import run_doctor
from m365bridge.connector.users.roles import INSIGHTS_USER, ITIL
from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ServerCertificate
from tests.connector.auth.helpers import login, make_user
from tests.connector.insights.conftest import World
from tests.connector.insights.world import add_issue, cloud_tenant


@pytest.fixture
def world(tmp_path: Path, cloud_context: CloudContext, tls: ServerCertificate) -> Iterator[World]:
    tenant = cloud_tenant(cloud_context)
    add_issue(cloud_context, tenant, "EX100200", "Mail delivery delayed in Exchange Online")
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


def doctor(world: World) -> DoctorReport:
    return run_doctor(world.connector)


def failure_for(report: DoctorReport, row: int) -> Failure:
    found = [failure for failure in report.failures if row in failure.rows]
    assert found, f"the doctor did not report row {row}; it reported {report.failing_rows}"
    return found[0]


def evidence_text(failure: Failure) -> str:
    return "\n".join(failure.evidence)
