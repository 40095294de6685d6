"""Graph answers 429 and 503 in bursts while the connector syncs service health over https.

A refusing reverse proxy sits on the connector's Graph URL (the real network path: TLS, nextLinks that
point back at the proxy); identity is reached directly. The sync's sleeps are virtual, so honouring each
Retry-After costs no real time. Every refusal must be followed by the same request again, and the connector
must end with exactly the cloud's issues, at their latest version.
"""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph import repository as graph_repository
from m365bridge.cloud.graph import service as graph_service
from m365bridge.cloud.graph.generator import generate
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.budget import RequestBudget
from m365bridge.connector.health.models import ServiceHealthIssue
from m365bridge.connector.health.sync import SyncOutcome, sync_service_health
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ServerCertificate
from tests.connector.insights.world import Tenant, cloud_tenant, outbound_entity
from tests.reliability.conftest import soak_size
from tests.support.clock import VirtualClock
from tests.support.httpfaults import BurstPlan, RefusingProxy

PAGE_SIZE = 20


@dataclass
class Sides:
    cloud: CloudContext
    connector: ConnectorContext
    tenant: Tenant
    entity_id: str
    proxy: RefusingProxy
    graph_url: str
    clock: VirtualClock


@pytest.fixture
def sides(tmp_path: Path, tls: ServerCertificate) -> Iterator[Sides]:
    cloud = CloudContext.build(CloudSettings(data_dir=tmp_path / "cloud", graph_max_page_size=PAGE_SIZE))
    connector = ConnectorContext.build(
        ConnectorSettings(
            allow_private_endpoints=True,
            data_dir=tmp_path / "connector",
            ca_bundle=tls.ca_cert,
            health_sync_autostart=False,
        )
    )
    tenant = cloud_tenant(cloud, knowledge=False)
    verify = ssl.create_default_context(cafile=str(tls.ca_cert))
    with serving(create_cloud_app(context=cloud), tls=tls) as server:
        proxy = RefusingProxy(upstream=server.url, verify=verify, plan=BurstPlan(every=3, burst=2))
        with serving(proxy.app(), tls=tls) as front:
            entity_id = outbound_entity(connector, server.url, tenant)
            yield Sides(cloud, connector, tenant, entity_id, proxy, f"{front.url}/graph", VirtualClock())
    connector.close()
    cloud.close()


def sync(sides: Sides) -> SyncOutcome:
    clock = sides.clock
    outcome = sync_service_health(
        sides.connector,
        entity_id=sides.entity_id,
        graph_url=sides.graph_url,
        sleep=clock.sleep,
        budget=RequestBudget(clock=clock, sleep=clock.sleep),
    )
    assert outcome.ran and outcome.error is None, outcome.error
    return outcome


def cloud_issues(sides: Sides) -> dict[str, dt.datetime]:
    with transaction(sides.cloud.sessions) as session:
        rows = graph_repository.issues_of(session, sides.tenant.tenant_id)
        return {row.id: row.last_modified.replace(microsecond=0) for row in rows}


def connector_issues(sides: Sides) -> list[tuple[str, dt.datetime]]:
    with transaction(sides.connector.sessions) as session:
        rows = session.execute(select(ServiceHealthIssue.id, ServiceHealthIssue.last_modified_at)).all()
        return [(issue_id, modified.replace(microsecond=0)) for issue_id, modified in rows]


def assert_every_refusal_retried(proxy: RefusingProxy) -> None:
    """Each refused request was asked again, and the last time it was asked it was answered."""
    for position, seen in enumerate(proxy.log):
        if seen.status in (429, 503):
            later = [s for s in proxy.log[position + 1 :] if s.target == seen.target]
            assert later, f"{seen.status} on {seen.target} was never retried"
    for target in {s.target for s in proxy.log}:
        assert [s for s in proxy.log if s.target == target][-1].status == 200, target


def assert_same_issues(sides: Sides) -> None:
    held = connector_issues(sides)
    assert len(held) == len({issue_id for issue_id, _ in held})  # no duplicates
    assert dict(held) == cloud_issues(sides)


@pytest.mark.slow
def test_bursts_of_429_and_503_during_sync_lose_and_duplicate_nothing(sides: Sides) -> None:
    count = soak_size("graph_issues", 300)
    with transaction(sides.cloud.sessions) as session:
        issues = generate(session, sides.tenant.tenant_id, count, seed=7)
        still_open = [issue.id for issue in issues if not issue.is_resolved]

    first = sync(sides)
    assert first.issues == count
    assert_same_issues(sides)

    # Microsoft posts updates on open issues; the next (incremental) sync meets refusals again.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    with transaction(sides.cloud.sessions) as session:
        for issue_id in still_open:
            graph_service.add_post(session, sides.tenant.tenant_id, issue_id, "An update.", when=later)
    sync(sides)
    assert_same_issues(sides)

    proxy = sides.proxy
    statuses = [seen.status for seen in proxy.refusals]
    assert statuses.count(429) >= 3 and statuses.count(503) >= 3, statuses
    assert_every_refusal_retried(proxy)
    # Each 429's Retry-After was honoured: the sync slept exactly that long at least once per 429.
    assert sides.clock.sleeps.count(float(proxy.plan.retry_after)) >= statuses.count(429)
