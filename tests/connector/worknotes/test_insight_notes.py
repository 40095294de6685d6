"""The change handler posts one insights work note per incident and content, through the service-desk port
(the built-in desk here), with the real cloud's service health and recommended articles."""

from __future__ import annotations

import threading

from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.incidents.table import TEXT_MAX_LENGTHS, Journal
from m365bridge.connector.setup.models import SINGLETON_ID, SetupState
from m365bridge.connector.worknotes.models import InsightNoteLedger
from m365bridge.connector.worknotes.service import post_insight_notes
from m365bridge.shared.db import transaction
from tests.connector.insights.conftest import World
from tests.connector.worknotes.conftest import change, incident, work_notes


def ledger(world: World) -> list[tuple[str, str, str]]:
    with transaction(world.connector.sessions) as session:
        rows = session.query(InsightNoteLedger).order_by(InsightNoteLedger.incident_sys_id)
        return [(row.incident_sys_id, row.short_description, row.digest) for row in rows]


def test_a_new_incident_gets_one_note_with_its_issue_articles_and_tab_link(world: World) -> None:
    sys_id = world.incident("Mail delivery delayed", "Outlook mail stuck in the outbox for every user")
    outcome = post_insight_notes(world.connector, [incident(world, sys_id)])
    assert outcome.posted == 1
    [note] = work_notes(world, sys_id)
    assert "EX100200 Mail delivery delayed in Exchange Online (Service degradation; Exchange Online)" in note
    assert "Latest update: We're investigating." in note
    assert "Meetings fail to start" not in note  # the other synced issue does not explain it
    article = "- Messages stay in the Outbox and are never sent\n  http://127.0.0.1:8400/support/v1/articles/starter/"
    assert f"Recommended articles:\n{article}exchange/mail-stuck-in-outbox\n" in note
    assert note.endswith(f"{world.connector.settings.base_url}/incidents/{sys_id}/m365")
    assert "<" not in note and len(note) <= TEXT_MAX_LENGTHS[Journal.WORK_NOTES]


def test_an_unrelated_incident_gets_no_note(world: World) -> None:
    sys_id = world.incident("Printer jammed on floor 3")
    outcome = post_insight_notes(world.connector, [incident(world, sys_id)])
    assert outcome.nothing_matched == 1 and work_notes(world, sys_id) == []


def test_running_twice_posts_once(world: World) -> None:
    sys_id = world.incident("Mail delivery delayed")
    post_insight_notes(world.connector, [incident(world, sys_id)])
    again = post_insight_notes(world.connector, [incident(world, sys_id)])
    assert again.posted == 0 and again.unchanged == 1
    assert len(work_notes(world, sys_id)) == 1


def test_a_short_description_about_another_problem_gets_a_second_note(world: World) -> None:
    sys_id = world.incident("Mail delivery delayed")
    post_insight_notes(world.connector, [incident(world, sys_id)])
    changed = change(world, sys_id, short_description="Teams meetings fail to start")
    assert post_insight_notes(world.connector, [changed]).posted == 1
    first, second = work_notes(world, sys_id)
    assert "EX100200" in first and "TM300400 Meetings fail to start in Microsoft Teams" in second
    assert "EX100200" not in second
    back = change(world, sys_id, short_description="Mail delivery delayed")
    assert post_insight_notes(world.connector, [back]).posted == 1  # new again next to the last note
    assert work_notes(world, sys_id)[2] == first


def test_a_reworded_short_description_with_the_same_findings_gets_none(world: World) -> None:
    sys_id = world.incident("Mail delivery delayed")
    post_insight_notes(world.connector, [incident(world, sys_id)])
    reworded = change(world, sys_id, short_description="MAIL DELIVERY DELAYED")
    outcome = post_insight_notes(world.connector, [reworded])
    assert outcome.posted == 0 and outcome.unchanged == 1
    assert len(work_notes(world, sys_id)) == 1
    # The new wording is remembered: the next run does not ask the support service again.
    assert [seen for _, seen, _ in ledger(world)] == ["MAIL DELIVERY DELAYED"]


def test_resolved_and_closed_incidents_get_nothing(world: World) -> None:
    sys_id = world.incident("Mail delivery delayed")
    with transaction(world.connector.sessions) as session:
        row = incidents.get_incident(session, sys_id)
        incidents.resolve_incident(session, row, "Solved (Permanently)", "Fixed.", incidents.SYSTEM)
    outcome = post_insight_notes(world.connector, [incident(world, sys_id)])
    assert outcome.done == 1 and work_notes(world, sys_id) == [] and ledger(world) == []


def support_url(world: World, url: str | None = None) -> str:
    """The support service's URL in the stored setup; set to ``url`` when given. Returns the previous one."""
    with transaction(world.connector.sessions) as session:
        state = session.get(SetupState, SINGLETON_ID)
        assert state is not None
        previous = state.support_url
        state.support_url = url or previous
        return previous


def test_the_cloud_unreachable_posts_nothing_changes_nothing_and_retries_next_time(world: World) -> None:
    sys_id = world.incident("Mail delivery delayed")
    reachable = support_url(world, "https://127.0.0.1:9/support")  # nothing listens on the discard port
    outcome = post_insight_notes(world.connector, [incident(world, sys_id)])
    assert outcome.retry == 1 and work_notes(world, sys_id) == [] and ledger(world) == []
    support_url(world, reachable)
    assert post_insight_notes(world.connector, [incident(world, sys_id)]).posted == 1
    assert len(work_notes(world, sys_id)) == 1


def test_two_runs_at_once_post_one_note(world: World) -> None:
    sys_ids = [world.incident("Mail delivery delayed"), world.incident("Teams meetings fail to start")]
    changed = [incident(world, sys_id) for sys_id in sys_ids]
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        post_insight_notes(world.connector, changed)

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()
    assert [len(work_notes(world, sys_id)) for sys_id in sys_ids] == [1, 1]
