"""Scale-out on one PostgreSQL database: two outbox workers (each with its own engine, as two cloud
processes would have) deliver a burst of case events to the connector; each event is applied once, in
order, and posted once: the workers claim with ``FOR UPDATE SKIP LOCKED`` and a lease, so they never both
hold the same row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from m365bridge.cloud.cases.delivery import start_background
from m365bridge.cloud.context import CloudContext
from m365bridge.connector.setup.service import INBOUND_PATH
from m365bridge.shared.tls import ServerCertificate
from tests.e2e.loop import start_loop

pytestmark = pytest.mark.postgres
CASES, REPLIES = 4, 25


def test_two_outbox_workers_on_postgresql_deliver_each_event_once(
    tmp_path: Path, tls: ServerCertificate, new_database_url: Callable[[str], str | None]
) -> None:
    cloud_url = new_database_url("cloud")
    loop = start_loop(
        "basic",
        tmp_path,
        tls,
        database_url=cloud_url,
        connector_overrides={"database_url": new_database_url("connector")},
    )
    second = CloudContext.build(loop.cloud.settings)
    _, second_stop = start_background(second)
    try:
        assert second.engine.dialect.name == "postgresql"
        cases = [loop.escalate(loop.new_incident(f"Teams outage {n}"))["caseId"] for n in range(CASES)]
        for n in range(REPLIES):
            for case_id in cases:
                loop.engineer_reply(case_id, f"update {n}")
        for case_id in cases:
            loop.assert_exactly_once_in_order(case_id)
        posted = loop.connector.metrics.registry.get_sample_value(
            "m365bridge_connector_http_requests_total",
            {"method": "POST", "route": f"{INBOUND_PATH}/v1/events", "status": "200"},
        )
        # Each case's creation events plus the replies: one POST each, none repeated by the other worker.
        assert posted == loop.delivered_count()
    finally:
        second_stop.set()
        loop.close()
        second.close()
