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


# Issues shaped like the demo's: each test below asks with an agent's wording and checks what is listed.
OUTLOOK_WEB = {"service": "Exchange Online", "feature": "Outlook on the web"}
TEAMS_CHAT = {"service": "Microsoft Teams", "feature": "Chat (Teams)", "featureGroup": "Teams Components"}
CALENDARS = {"service": "Outlook", "feature": "Outlook for Windows", "featureGroup": "Outlook clients"}
SHAREPOINT = {"service": "SharePoint Online", "feature": "Search", "featureGroup": "SharePoint Features"}


def catalogue(connector_context: ConnectorContext) -> None:
    issues = (
        issue(
            "EX1",
            NOW,
            title="Users can't send email from Outlook on the web",
            impactDescription="Users may see an error when they select Send in Outlook on the web.",
            **OUTLOOK_WEB,
        ),
        issue(
            "TM1",
            NOW,
            title="Users may be unable to load chat messages in Microsoft Teams",
            impactDescription="Users may see a spinning icon instead of chat messages in the web client.",
            **TEAMS_CHAT,
        ),
        issue(
            "OL1",
            NOW,
            title="Outlook desktop client crashes when opening shared calendars",
            impactDescription="Outlook may close unexpectedly when users open a calendar shared with them.",
            **CALENDARS,
        ),
        issue(
            "SP1",
            NOW,
            title="Users may see incomplete search results in SharePoint Online",
            impactDescription="Recently uploaded documents may not appear in search results.",
            **SHAREPOINT,
        ),
    )
    with transaction(connector_context.sessions) as session:
        for item in issues:
            repository.upsert_issue(session, item)


def matched(connector_context: ConnectorContext, text: str) -> list[str]:
    with transaction(connector_context.sessions) as session:
        return [found.id for found in match_issues(session, text, now=NOW)]


def test_an_agents_abbreviation_finds_the_issue_and_nothing_else(connector_context: ConnectorContext) -> None:
    catalogue(connector_context)
    assert matched(connector_context, "owa wont send") == ["EX1"]
    assert matched(connector_context, "SPO search missing new docs") == ["SP1"]


def test_typing_errors_are_forgiven(connector_context: ConnectorContext) -> None:
    catalogue(connector_context)
    assert matched(connector_context, "outlok calender chrashes")[:1] == ["OL1"]
    assert matched(connector_context, "sharepiont serch") == ["SP1"]


def test_unrelated_incidents_match_nothing(connector_context: ConnectorContext) -> None:
    catalogue(connector_context)
    for text in ("users cant print from the web portal", "printer jam on floor 3", "laptop battery draining"):
        assert matched(connector_context, text) == [], text


def test_a_word_in_common_does_not_list_another_products_issue(connector_context: ConnectorContext) -> None:
    catalogue(connector_context)
    # "web" and "load" are in the Teams chat issue too; the incident is about Outlook.
    assert matched(connector_context, "outlook web wont load") == ["EX1"]
    assert matched(connector_context, "Users can't send mail from Outlook on the web") == ["EX1"]


def test_the_issue_that_explains_more_of_the_incident_ranks_first(
    connector_context: ConnectorContext,
) -> None:
    catalogue(connector_context)
    with transaction(connector_context.sessions) as session:
        repository.upsert_issue(
            session,
            issue(
                "OL2", NOW, title="Outlook desktop client may not start", impactDescription="", **CALENDARS
            ),
        )
    with transaction(connector_context.sessions) as session:
        found = match_issues(session, "outlook crashes opening a shared calendar", now=NOW)
    assert [match.id for match in found][:1] == ["OL1"]
    assert [match.score for match in found] == sorted((match.score for match in found), reverse=True)
    assert 0.0 < found[-1].score <= found[0].score <= 1.0
