from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import httpx
import pytest
import respx
from sqlalchemy import select

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.models import ServiceHealthIssue, ServiceMessage, SyncRun
from m365bridge.connector.health.sync import sync_service_health
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow
from tests.connector.conftest import TOKEN_URL
from tests.connector.health.fake_graph import GRAPH_URL, FakeGraph, issue, message
from tests.support.deferred_writes import recording_deferred_writes

BASE = utcnow().replace(microsecond=0) - dt.timedelta(days=1)


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).mock(
            return_value=httpx.Response(200, json={"access_token": "t", "expires_in": "3599"})
        )
        yield FakeGraph(router)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run(context: ConnectorContext, entity: str, sleeps: Sleeps | None = None, **kw):  # type: ignore[no-untyped-def]
    return sync_service_health(
        context, entity_id=entity, graph_url=GRAPH_URL, sleep=Sleeps() if sleeps is None else sleeps, **kw
    )


def stored(context: ConnectorContext, model: type) -> dict[str, str]:
    with transaction(context.sessions) as session:
        return {row.id: row.title for row in session.scalars(select(model))}


def test_first_sync_follows_every_next_link(
    connector_context: ConnectorContext, outbound_entity: str, graph: FakeGraph
) -> None:
    for n in range(5):
        graph.put("issues", issue(f"EX{n}", BASE + dt.timedelta(minutes=n)))
        graph.put("messages", message(f"MC{n}", BASE + dt.timedelta(minutes=n)))

    with recording_deferred_writes() as breaches:
        outcome = run(connector_context, outbound_entity)

    assert breaches == []  # every unit that writes (the first one adds the sync state) is a writer
    assert outcome.error is None and outcome.full
    assert sorted(stored(connector_context, ServiceHealthIssue)) == [f"EX{n}" for n in range(5)]
    assert sorted(stored(connector_context, ServiceMessage)) == [f"MC{n}" for n in range(5)]
    assert outcome.requests == 6  # three pages of two per collection
    assert all("$filter" not in r.url.params for r in graph.requests)


def test_next_sync_asks_only_for_changes_since_the_watermark_minus_skew(
    connector_context: ConnectorContext, outbound_entity: str, graph: FakeGraph
) -> None:
    graph.put("issues", issue("EX1", BASE))
    graph.put("issues", issue("EX2", BASE + dt.timedelta(hours=1)))
    run(connector_context, outbound_entity)
    graph.requests.clear()
    graph.put("issues", issue("EX1", BASE + dt.timedelta(hours=2), title="Mail delayed (updated)"))

    outcome = run(connector_context, outbound_entity)

    skew = dt.timedelta(seconds=connector_context.settings.health_watermark_skew_seconds)
    expected = (BASE + dt.timedelta(hours=1) - skew).strftime("%Y-%m-%dT%H:%M:%SZ")
    issue_request = next(r for r in graph.requests if r.url.path.endswith("/issues"))
    assert issue_request.url.params["$filter"] == f"lastModifiedDateTime ge {expected}"
    assert not outcome.full and outcome.issues == 1
    assert stored(connector_context, ServiceHealthIssue)["EX1"] == "Mail delayed (updated)"


def test_an_older_version_never_overwrites_a_newer_one(
    connector_context: ConnectorContext, outbound_entity: str, graph: FakeGraph
) -> None:
    graph.put("issues", issue("EX1", BASE + dt.timedelta(hours=2), title="newest"))
    run(connector_context, outbound_entity)
    graph.put("issues", issue("EX1", BASE, title="stale replica"))
    run(connector_context, outbound_entity, full=True)
    assert stored(connector_context, ServiceHealthIssue)["EX1"] == "newest"


def test_retry_after_is_honoured(
    connector_context: ConnectorContext, outbound_entity: str, graph: FakeGraph
) -> None:
    graph.put("issues", issue("EX1", BASE))
    graph.queued = [
        httpx.Response(429, headers={"Retry-After": "7"}, json={"error": {"code": "TooManyRequests"}}),
        httpx.Response(503, headers={"Retry-After": "3"}),
    ]
    sleeps = Sleeps()
    outcome = run(connector_context, outbound_entity, sleeps)
    assert outcome.error is None and outcome.refused == 2
    assert sleeps == [7, 3]
    assert "EX1" in stored(connector_context, ServiceHealthIssue)


def test_too_long_a_retry_after_ends_the_run_without_moving_the_watermark(
    connector_context: ConnectorContext, outbound_entity: str, graph: FakeGraph
) -> None:
    graph.put("issues", issue("EX1", BASE))
    graph.queued = [httpx.Response(429, headers={"Retry-After": "3600"})]
    sleeps = Sleeps()
    outcome = run(connector_context, outbound_entity, sleeps)
    assert outcome.error and "throttling" in outcome.error and sleeps == []
    with transaction(connector_context.sessions) as session:
        last = session.scalars(select(SyncRun)).one()
        assert (last.refused, last.error, last.finished_at is not None) == (1, outcome.error, True)
    assert run(connector_context, outbound_entity).full  # the next run starts over, nothing was skipped


def test_full_sync_drops_messages_that_left_the_feed(
    connector_context: ConnectorContext, outbound_entity: str, graph: FakeGraph
) -> None:
    graph.put("messages", message("MC1", BASE))
    graph.put("messages", message("MC2", BASE))
    run(connector_context, outbound_entity)
    del graph.collections["messages"]["MC1"]

    assert run(connector_context, outbound_entity).removed == 0  # incremental reads cannot see removals
    outcome = run(connector_context, outbound_entity, full=True)

    assert outcome.removed == 1
    assert list(stored(connector_context, ServiceMessage)) == ["MC2"]


def test_two_syncs_at_once_run_only_one(
    connector_context: ConnectorContext, outbound_entity: str, graph: FakeGraph
) -> None:
    graph.put("issues", issue("EX1", BASE))
    entered, release = threading.Event(), threading.Event()

    def block() -> None:
        entered.set()
        release.wait(10)

    graph.on_request = block
    results = []
    first = threading.Thread(target=lambda: results.append(run(connector_context, outbound_entity)))
    first.start()
    assert entered.wait(10)
    second = run(connector_context, outbound_entity)
    release.set()
    first.join(10)
    assert not second.ran
    assert results[0].ran and results[0].error is None
    assert run(connector_context, outbound_entity).ran  # the lease was released
