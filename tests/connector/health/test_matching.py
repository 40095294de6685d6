from __future__ import annotations

import datetime as dt

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health import repository
from m365bridge.connector.health.matching import match_issues, next_update_time, parse_when
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow
from tests.connector.health.fake_graph import issue, stamp

NOW = utcnow().replace(microsecond=0)


def post(when: dt.datetime, text: str) -> dict[str, object]:
    description = {"contentType": "html", "content": text}
    return {"createdDateTime": stamp(when), "postType": "regular", "description": description}


def resolved_issue(issue_id: str, days_ago: int) -> dict[str, object]:
    when = NOW - dt.timedelta(days=days_ago)
    return issue(
        issue_id,
        when,
        title="Outlook mail delayed",
        endDateTime=stamp(when),
        isResolved=True,
        status="serviceRestored",
    )


def test_open_issues_first_then_recently_resolved_and_never_old_resolved(
    connector_context: ConnectorContext,
) -> None:
    teams = {"service": "Microsoft Teams", "feature": "Meetings", "featureGroup": "Teams Components"}
    with transaction(connector_context.sessions) as session:
        for item in (
            resolved_issue("EX-recent", 2),
            resolved_issue("EX-old", 20),
            issue("EX-open", NOW, title="Some can't send mail in Outlook"),
            issue("TM-other", NOW, title="Meetings fail to start", impactDescription="No meetings.", **teams),
        ):
            repository.upsert_issue(session, item)
    with transaction(connector_context.sessions) as session:
        found = match_issues(session, "Outlook mail delayed", now=NOW)
    assert [m.id for m in found] == ["EX-open", "EX-recent"]
    assert found[0].service == "Exchange Online" and found[0].feature_group == "E-Mail and calendar access"


def test_match_carries_last_update_and_promised_next_update(connector_context: ConnectorContext) -> None:
    posts = [
        post(
            NOW - dt.timedelta(hours=3),
            "<p>Title: Mail delayed</p><p>Next update by: Monday, January 8, 2024, at 9:00 PM UTC</p>",
        ),
        post(
            NOW - dt.timedelta(hours=1),
            "<p>We've identified the cause. We'll provide an update by "
            "Tuesday, January 9, 2024, at 3:30 AM UTC.</p>",
        ),
    ]
    with transaction(connector_context.sessions) as session:
        repository.upsert_issue(session, issue("EX1", NOW, title="Mail delayed", posts=posts))
    with transaction(connector_context.sessions) as session:
        [found] = match_issues(session, "mail delayed", now=NOW)
    assert found.next_update_at == dt.datetime(2024, 1, 9, 3, 30, tzinfo=dt.UTC)
    assert found.last_update.startswith("We've identified the cause")
    assert found.last_update_at == NOW - dt.timedelta(hours=1)


def test_next_update_phrases() -> None:
    assert parse_when("Wednesday, February 8, 2023, at 10:30 PM UTC") == dt.datetime(
        2023, 2, 8, 22, 30, tzinfo=dt.UTC
    )
    assert parse_when("sometime soon") is None
    assert next_update_time([post(NOW, "This is the final update for the event.")]) is None


def test_an_iso_8601_promise_is_understood() -> None:
    promised = next_update_time([post(NOW, "We'll provide an update by 2026-11-18T13:00:00Z.")])
    assert promised == dt.datetime(2026, 11, 18, 13, 0, tzinfo=dt.UTC)
