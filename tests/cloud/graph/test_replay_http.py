import json

import pytest

from m365bridge.cloud.graph.odata import parse_datetime
from m365bridge.cloud.graph.replay import apply_until, load_events
from m365bridge.shared.db import transaction
from tests.conftest import DATASETS

from .tokens import caller

REPLAY = DATASETS / "m365-message-center" / "replay.jsonl"
pytestmark = pytest.mark.skipif(
    not REPLAY.exists(), reason=f"the Message Center dataset is absent ({REPLAY})"
)


def final_feed():
    """The messages live after the last line, each in its last version, read straight from the file."""
    live, last = {}, None
    with REPLAY.open() as lines:
        for line in lines:
            event = json.loads(line)
            last = event["observedAt"]
            if "message" in event:
                live[event["message"]["id"]] = event["message"]
            else:
                live.pop(event["removed"], None)
    return live, last


@pytest.mark.slow
def test_after_the_whole_replay_messages_serves_the_final_feed(cloud_context, cloud_client):
    reader = caller(cloud_context, cloud_client, "contoso.onmicrosoft.com")
    expected, last = final_feed()
    with transaction(cloud_context.sessions) as session:
        apply_until(session, reader.tenant_id, load_events(REPLAY), parse_datetime(last))
    served, url = {}, "/graph/v1.0/admin/serviceAnnouncement/messages"
    headers = reader.headers | {"Prefer": "odata.maxpagesize=500"}
    while url:
        body = cloud_client.get(url, headers=headers).json()
        for message in body["value"]:
            assert message["id"] not in served
            served[message["id"]] = message
        url = body.get("@odata.nextLink")
    assert served == expected


def test_messages_filter_on_category_and_severity(cloud_context, cloud_client):
    reader = caller(cloud_context, cloud_client, "contoso.onmicrosoft.com")
    expected, last = final_feed()
    with transaction(cloud_context.sessions) as session:
        apply_until(session, reader.tenant_id, load_events(REPLAY), parse_datetime(last))
    answer = cloud_client.get(
        "/graph/v1.0/admin/serviceAnnouncement/messages",
        params={"$filter": "category eq 'planForChange' and severity ne 'normal'", "$top": "1000"},
        headers=reader.headers,
    )
    wanted = {
        i for i, m in expected.items() if m["category"] == "planForChange" and m["severity"] != "normal"
    }
    assert {m["id"] for m in answer.json()["value"]} == wanted
