"""The whole Message Center replay through the real cloud over https, synced by the connector under a low
Graph throttle: the connector ends holding exactly the feed's final state, and every 429 was waited out.

The cloud steps through the replay's timeline (``apply_until``) while the connector syncs after each step.
Both throttles run on one virtual clock that the sync's injected ``sleep`` advances, so honouring a
Retry-After of a minute costs no real time, while a request repeated too early would really be refused again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph.models import ServiceUpdateMessage
from m365bridge.cloud.graph.odata import parse_datetime
from m365bridge.cloud.graph.replay import apply_until, load_events
from m365bridge.cloud.graph.throttling import Throttle, Window
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.budget import RequestBudget
from m365bridge.connector.health.models import ServiceMessage, SyncRun
from m365bridge.connector.health.sync import SyncOutcome, sync_service_health
from m365bridge.connector.logs.http_log import OutboundHttpRequest
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ServerCertificate
from tests.conftest import DATASETS
from tests.connector.insights.world import Tenant, cloud_tenant, outbound_entity
from tests.support.clock import VirtualClock

REPLAY = DATASETS / "m365-message-center" / "replay.jsonl"
STEPS = 15
PER_MINUTE = 6  # Graph allows 240; this low, most syncs meet a 429
PAGE_SIZE = 200  # the largest page the cloud serves, so that full reads take several pages


@dataclass
class Sides:
    cloud: CloudContext
    connector: ConnectorContext
    tenant: Tenant
    entity_id: str
    graph_url: str
    clock: VirtualClock


@pytest.fixture
def sides(tmp_path: Path, tls: ServerCertificate) -> Iterator[Sides]:
    cloud = CloudContext.build(
        CloudSettings(
            data_dir=tmp_path / "cloud", graph_throttle_per_minute=PER_MINUTE, graph_max_page_size=PAGE_SIZE
        )
    )
    clock = VirtualClock()
    settings = cloud.settings
    # The cloud's throttle as its settings make it, on the virtual clock (the graph app keeps it in extras).
    cloud.extras["graph_throttle"] = Throttle(
        [Window(settings.graph_throttle_per_minute, 60), Window(settings.graph_throttle_per_hour, 3600)],
        clock=clock,
    )
    connector = ConnectorContext.build(
        ConnectorSettings(
            allow_private_endpoints=True,
            data_dir=tmp_path / "connector",
            ca_bundle=tls.ca_cert,
            health_sync_autostart=False,
        )
    )
    tenant = cloud_tenant(cloud, knowledge=False)
    with serving(create_cloud_app(context=cloud), tls=tls) as server:
        entity_id = outbound_entity(connector, server.url, tenant)
        yield Sides(cloud, connector, tenant, entity_id, f"{server.url}/graph", clock)
    connector.close()
    cloud.close()


def final_feed(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The feed after the last event, worked out from the file alone: each message's last event decides."""
    feed: dict[str, dict[str, Any]] = {}
    for event in events:
        if "removed" in event:
            feed.pop(event["removed"], None)
        else:
            feed[event["message"]["id"]] = event["message"]
    return feed


def timeline_steps(events: list[dict[str, Any]]) -> list[dt.datetime]:
    """``STEPS`` moments spread over the observations, the last one being the final observation."""
    moments = sorted({parse_datetime(event["observedAt"]) for event in events})
    return [moments[len(moments) * step // STEPS - 1] for step in range(1, STEPS + 1)]


def sync(sides: Sides, *, full: bool = False) -> SyncOutcome:
    outcome = sync_service_health(
        sides.connector,
        entity_id=sides.entity_id,
        graph_url=sides.graph_url,
        full=full,
        sleep=sides.clock.sleep,
        budget=RequestBudget(clock=sides.clock, sleep=sides.clock.sleep),
    )
    assert outcome.ran and outcome.error is None, outcome.error
    return outcome


@pytest.mark.slow
@pytest.mark.skipif(not REPLAY.exists(), reason=f"the Message Center replay dataset is absent: {REPLAY}")
def test_connector_ends_with_the_replayed_feed_and_honours_every_429(sides: Sides) -> None:
    events = load_events(REPLAY)
    outcomes = []
    for until in timeline_steps(events):
        with transaction(sides.cloud.sessions) as session:
            apply_until(session, sides.tenant.tenant_id, events, until)
        outcomes.append(sync(sides))
    # Messages that left the feed leave the connector on a full read.
    outcomes.append(sync(sides, full=True))

    expected = final_feed(events)
    assert_connector_holds(sides.connector, expected)
    assert cloud_documents(sides) == expected
    assert_every_429_was_waited_out(sides, outcomes)


def assert_connector_holds(connector: ConnectorContext, expected: dict[str, dict[str, Any]]) -> None:
    with transaction(connector.sessions) as session:
        stored = {
            row.id: (row.last_modified_at, row.title, row.body_html, row.severity, row.services, row.tags)
            for row in session.scalars(select(ServiceMessage))
        }
        ids = list(session.scalars(select(ServiceMessage.id)))
    assert len(ids) == len(set(ids)) == len(expected)
    assert stored == {
        message_id: (
            parse_datetime(message["lastModifiedDateTime"]),
            message["title"],
            message["body"]["content"],
            message["severity"],
            message["services"] or [],
            message["tags"] or [],
        )
        for message_id, message in expected.items()
    }


def cloud_documents(sides: Sides) -> dict[str, dict[str, Any]]:
    with transaction(sides.cloud.sessions) as session:
        rows = session.scalars(
            select(ServiceUpdateMessage).where(ServiceUpdateMessage.tenant_id == sides.tenant.tenant_id)
        )
        return {row.id: row.document for row in rows}


def assert_every_429_was_waited_out(sides: Sides, outcomes: list[SyncOutcome]) -> None:
    refused = sum(outcome.refused for outcome in outcomes)
    with transaction(sides.connector.sessions) as session:
        statuses = list(
            session.scalars(
                select(OutboundHttpRequest.status)
                .where(OutboundHttpRequest.url.contains("/v1.0/admin/serviceAnnouncement/"))
                .order_by(OutboundHttpRequest.id)
            )
        )
        recorded = sum(run.refused for run in session.scalars(select(SyncRun)))
    assert refused > 0 and recorded == refused == statuses.count(429)
    # Each refusal was followed by one wait of at least a second and then an admitted request.
    assert len(sides.clock.sleeps) == refused and min(sides.clock.sleeps) >= 1
    assert all(after == 200 for before, after in pairwise(statuses) if before == 429)
    assert statuses[-1] == 200
    assert sum(outcome.requests for outcome in outcomes) == len(statuses)
