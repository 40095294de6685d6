import datetime as dt
import json

import pytest

from m365bridge.cloud.graph import repository
from m365bridge.cloud.graph.odata import parse_datetime
from m365bridge.cloud.graph.replay import apply_until, load_events
from tests.conftest import DATASETS

from .conftest import TENANT

REPLAY = DATASETS / "m365-message-center" / "replay.jsonl"
pytestmark = pytest.mark.skipif(
    not REPLAY.exists(), reason=f"the Message Center dataset is absent ({REPLAY})"
)


def expected_state(until_text):
    """What the feed held at ``until_text``, read from the raw lines, not through the replay module."""
    live = {}
    with REPLAY.open() as lines:
        for line in lines:
            event = json.loads(line)
            if event["observedAt"] > until_text:  # same format on every line, so text order is time order
                break
            if "message" in event:
                live[event["message"]["id"]] = event["message"]
            else:
                live.pop(event["removed"], None)
    return live


def stored(session):
    return {m.id: m.document for m in repository.messages_by_id(session, TENANT, list(all_ids())).values()}


def all_ids():
    with REPLAY.open() as lines:
        for line in lines:
            event = json.loads(line)
            yield event["message"]["id"] if "message" in event else event["removed"]


def test_replaying_step_by_step_matches_the_feed_at_each_step(session):
    events = load_events(REPLAY)
    stamps = sorted({event["observedAt"] for event in events})
    for stamp in (stamps[0], stamps[len(stamps) // 3], stamps[2 * len(stamps) // 3], stamps[-1]):
        apply_until(session, TENANT, events, parse_datetime(stamp))
        assert stored(session) == expected_state(stamp)


def test_going_back_in_time_removes_messages_not_yet_published(session):
    events = load_events(REPLAY)
    apply_until(session, TENANT, events, parse_datetime(events[-1]["observedAt"]))
    first = events[0]["observedAt"]
    result = apply_until(session, TENANT, events, parse_datetime(first))
    assert stored(session) == expected_state(first)
    assert result.live == len(expected_state(first))


def test_replaying_the_same_moment_twice_writes_nothing(session):
    events = load_events(REPLAY)
    until = parse_datetime(events[-1]["observedAt"]) - dt.timedelta(days=30)
    apply_until(session, TENANT, events, until)
    again = apply_until(session, TENANT, events, until)
    assert (again.written, again.deleted) == (0, 0)
