"""A followed issue's new posts become work notes on the incidents whose insights note named it, once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health import repository as health_repository
from m365bridge.connector.health.background import background_health_sync, sync_now
from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.worknotes.health_updates import post_health_updates
from m365bridge.connector.worknotes.models import IssueFollow
from m365bridge.connector.worknotes.service import post_insight_notes
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow
from tests.connector.insights.conftest import World
from tests.connector.insights.world import add_issue, stamp
from tests.connector.worknotes.conftest import incident, work_notes
from tests.support.deferred_writes import recording_deferred_writes
from tests.support.writers import committing_in_a_loop


def new_post(world: World, issue_id: str, text: str, **changes: object) -> None:
    """Microsoft posts ``text`` on the issue (as the connector's next sync stores it)."""
    with transaction(world.connector.sessions, write=True) as session:
        issue = health_repository.get_issue(session, issue_id)
        assert issue is not None
        later = utcnow() + dt.timedelta(seconds=len(issue.posts) + 1)
        post = {"createdDateTime": stamp(later), "postType": "regular", "description": {"content": text}}
        document = {
            "id": issue.id,
            "title": issue.title,
            "status": issue.status,
            "isResolved": issue.is_resolved,
            "lastModifiedDateTime": stamp(later),
            "posts": [*issue.posts, post],
            **changes,
        }
        assert health_repository.upsert_issue(session, document)


def noted(world: World, *titles: str) -> list[str]:
    sys_ids = [world.incident(title) for title in titles]
    post_insight_notes(world.connector, [incident(world, sys_id) for sys_id in sys_ids])
    return sys_ids


def follows(world: World) -> list[tuple[str, str]]:
    with transaction(world.connector.sessions) as session:
        return [(f.incident_sys_id, f.issue_id) for f in session.query(IssueFollow)]


def test_a_new_post_goes_once_to_each_open_linked_incident_only(world: World) -> None:
    linked, closed, teams, unrelated = noted(
        world,
        "Mail delivery delayed",
        "Mail delivery delayed for the sales team",
        "Teams meetings fail to start",
        "Printer jammed on floor 3",
    )
    with transaction(world.connector.sessions) as session:
        row = incidents.get_incident(session, closed)
        incidents.resolve_incident(session, row, "Solved (Permanently)", "Fixed.", incidents.SYSTEM)
    new_post(world, "EX100200", "<p>We identified a <b>routing</b> fault &amp; are rerouting mail.</p>")
    outcome = post_health_updates(world.connector)
    assert outcome.notes == 1
    update = work_notes(world, linked)[-1]
    assert update == (
        "Microsoft service health update for EX100200 Mail delivery delayed in Exchange Online "
        "(Service degradation):\nWe identified a routing fault & are rerouting mail."
    )
    assert [len(work_notes(world, s)) for s in (linked, closed, teams, unrelated)] == [2, 1, 1, 0]
    assert post_health_updates(world.connector).notes == 0  # once per post
    assert len(work_notes(world, linked)) == 2
    # The closed incident follows nothing any more; the others keep following their issue.
    assert sorted(follows(world)) == sorted([(linked, "EX100200"), (teams, "TM300400")])


def test_following_ends_after_the_resolved_issue_last_post(world: World) -> None:
    [sys_id] = noted(world, "Mail delivery delayed")
    new_post(world, "EX100200", "The issue is resolved.", isResolved=True, status="serviceRestored")
    assert post_health_updates(world.connector).notes == 1
    assert "(Service restored):\nThe issue is resolved." in work_notes(world, sys_id)[-1]
    assert follows(world) == []


def test_without_an_insights_note_nothing_is_followed_or_posted(world: World) -> None:
    sys_id = world.incident("Mail delivery delayed")  # no work-note mode: the handler never ran
    new_post(world, "EX100200", "We're rerouting mail.")
    outcome = post_health_updates(world.connector)
    assert (outcome.notes, outcome.unfollowed) == (0, 0) and work_notes(world, sys_id) == []


def sync_now_of(context: ConnectorContext) -> None:
    sync_now(context)


def runner_of(context: ConnectorContext) -> None:
    background_health_sync(context).run_once()


@pytest.mark.parametrize("sync", [sync_now_of, runner_of], ids=["sync now", "background runner"])
def test_a_sync_posts_a_new_post_from_graph_on_the_linked_incident(
    world: World, sync: Callable[[ConnectorContext], None]
) -> None:
    [sys_id] = noted(world, "Mail delivery delayed")
    later = utcnow() + dt.timedelta(minutes=1)
    first = {
        "createdDateTime": stamp(later - dt.timedelta(minutes=31)),
        "postType": "regular",
        "description": {"contentType": "html", "content": "We're investigating."},
    }
    second = {
        "createdDateTime": stamp(later),
        "postType": "regular",
        "description": {"contentType": "html", "content": "A fix is being deployed."},
    }
    add_issue(
        world.cloud,
        world.tenant,
        "EX100200",
        "Mail delivery delayed in Exchange Online",
        lastModifiedDateTime=stamp(later),
        posts=[first, second],
    )
    sync(world.connector)
    assert work_notes(world, sys_id)[-1].endswith(":\nA fix is being deployed.")
    assert len(work_notes(world, sys_id)) == 2


def test_two_runs_at_once_post_each_update_once(world: World) -> None:
    sys_ids = noted(world, "Mail delivery delayed", "Outlook mail delivery delayed")
    new_post(world, "EX100200", "We're rerouting mail.")
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        post_health_updates(world.connector)

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()
    assert [len(work_notes(world, sys_id)) for sys_id in sys_ids] == [2, 2]


@pytest.mark.sqlite
def test_both_handlers_keep_the_sqlite_writer_rule_beside_another_writer(world: World) -> None:
    sys_id = world.incident("Mail delivery delayed")
    with committing_in_a_loop(world.connector.sessions), recording_deferred_writes() as breaches:
        assert post_insight_notes(world.connector, [incident(world, sys_id)]).posted == 1
        new_post(world, "EX100200", "We're rerouting mail.")
        assert post_health_updates(world.connector).notes == 1
    assert breaches == []
