"""The Message Center replay through a Graph-shaped fake: incremental syncs end in the feed's final state."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import httpx
import pytest
import respx
from sqlalchemy import select

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.models import ServiceMessage
from m365bridge.connector.health.repository import parse_time
from m365bridge.connector.health.sync import sync_service_health
from m365bridge.shared.db import transaction
from tests.conftest import DATASETS
from tests.connector.conftest import TOKEN_URL
from tests.connector.health.fake_graph import GRAPH_URL, FakeGraph

REPLAY = DATASETS / "m365-message-center" / "replay.jsonl"


def observations() -> Iterator[list[dict[str, object]]]:
    with REPLAY.open() as lines:
        events = (json.loads(line) for line in lines)
        for _when, group in itertools.groupby(events, key=lambda event: event["observedAt"]):
            yield list(group)


@pytest.mark.slow
@pytest.mark.skipif(not REPLAY.exists(), reason=f"dataset absent: {REPLAY}")
def test_replayed_feed_ends_in_its_final_state(
    connector_context: ConnectorContext, outbound_entity: str
) -> None:
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).mock(
            return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 3599})
        )
        graph = FakeGraph(router, page_size=1000)
        messages = graph.collections["messages"]
        for number, group in enumerate(observations()):
            for event in group:
                if "removed" in event:
                    messages.pop(str(event["removed"]), None)
                else:
                    item = dict(event["message"])  # type: ignore[call-overload]
                    messages[item["id"]] = item
            if number % 40 == 0:
                outcome = sync_service_health(
                    connector_context, entity_id=outbound_entity, graph_url=GRAPH_URL, sleep=lambda _s: None
                )
                assert outcome.error is None
        assert (
            sync_service_health(
                connector_context, entity_id=outbound_entity, graph_url=GRAPH_URL, sleep=lambda _s: None
            ).error
            is None
        )
        expected = {mid: parse_time(str(m["lastModifiedDateTime"])) for mid, m in messages.items()}
        incremental = stored_messages(connector_context)
        # Incremental reads already hold the final version of every message still in the feed ...
        assert {mid: incremental.get(mid) for mid in expected} == expected
        final = sync_service_health(
            connector_context,
            entity_id=outbound_entity,
            graph_url=GRAPH_URL,
            sleep=lambda _s: None,
            full=True,
        )
    # ... and the full read drops the ones that left it.
    assert final.error is None and final.removed == len(incremental) - len(expected) > 0
    assert stored_messages(connector_context) == expected


def stored_messages(context: ConnectorContext) -> dict[str, object]:
    with transaction(context.sessions) as session:
        return {m.id: m.last_modified_at for m in session.scalars(select(ServiceMessage))}
