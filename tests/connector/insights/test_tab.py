"""The incident's Microsoft 365 support tab, used by a signed-in agent against the real cloud over https."""

from __future__ import annotations

from sqlalchemy import select
from tests.connector.auth.helpers import login, make_user, page_csrf
from tests.connector.insights.conftest import World
from tests.connector.insights.world import outbound_entity, store_setup
from tests.support.deferred_writes import recording_deferred_writes

from m365bridge.connector.health.sync import sync_service_health
from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.insights.models import InsightFeedback, InsightResult
from m365bridge.connector.logs import system_log
from m365bridge.connector.setup.modes import Mode
from m365bridge.connector.users.roles import ITIL
from m365bridge.shared.db import transaction


def configured(world: World, mode: Mode = Mode.INSIGHTS, **setup: object) -> str:
    entity = outbound_entity(world.connector, world.cloud_url, world.tenant)
    store_setup(world.connector, mode=mode, entity_id=entity, cloud_url=world.cloud_url, **setup)  # type: ignore[arg-type]
    outcome = sync_service_health(world.connector, entity_id=entity, graph_url=f"{world.cloud_url}/graph")
    assert outcome.error is None
    return entity


def act(world: World, sys_id: str, action: str, **data: str):
    csrf = page_csrf(world.client, f"/incidents/{sys_id}/m365")
    return world.client.post(f"/incidents/{sys_id}/m365/{action}", data={"csrf_token": csrf, **data})


def stored(world: World) -> list[InsightResult]:
    with transaction(world.connector.sessions) as session:
        return list(session.scalars(select(InsightResult).order_by(InsightResult.id)))


def test_insights_show_matching_health_and_solutions_and_stay_after_reopening(world: World) -> None:
    configured(world)
    sys_id = world.incident("Mail delivery delayed", "Outlook mail stuck in the outbox for every user")
    page = act(world, sys_id, "insights")
    assert page.status_code == 200
    assert "Mail delivery delayed in Exchange Online" in page.text
    assert "Meetings fail to start" not in page.text
    assert "Service degradation" in page.text and "E-Mail and calendar access" in page.text
    assert "2024-01-08T21:00:00Z" in page.text  # the promised next update
    assert "Mail stuck in the Outbox" in page.text or "outbox" in page.text.lower()
    [answer] = stored(world)
    assert answer.kind == "insights" and answer.result["solutions"] and answer.created_by == "agent"
    reopened = world.client.get(f"/incidents/{sys_id}?tab=m365")
    assert reopened.url.path == f"/incidents/{sys_id}/m365"
    assert "Mail delivery delayed in Exchange Online" in reopened.text
    assert answer.result["solutions"][0]["title"] in reopened.text


def test_search_box_answers_for_any_text_and_is_kept(world: World) -> None:
    configured(world)
    sys_id = world.incident("Printer jammed")
    page = act(world, sys_id, "search", text="Teams meetings fail to start")
    assert "Meetings fail to start in Microsoft Teams" in page.text
    [answer] = stored(world)
    assert answer.kind == "search" and answer.query_text == "Teams meetings fail to start"
    assert any("Teams" in s["title"] for s in answer.result["solutions"])


def test_api_answers_service_health_and_solutions(world: World) -> None:
    configured(world)
    sys_id = world.incident("Mail delivery delayed")
    # A session caller sends the CSRF header on every API call, reads included (an API search is stored).
    world.client.headers["X-CSRF-Token"] = page_csrf(world.client, f"/incidents/{sys_id}/m365")
    answer = world.client.get(f"/api/x_mioms_m365_assis/v1/incidents/{sys_id}/insights")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [i["id"] for i in body["serviceHealth"]] == ["EX100200"]
    assert body["serviceHealth"][0]["featureGroup"] == "E-Mail and calendar access"
    assert body["solutions"] and body["warnings"] == []
    searched = world.client.get(
        f"/api/x_mioms_m365_assis/v1/incidents/{sys_id}/insights", params={"search": "Teams meetings"}
    ).json()
    assert [i["id"] for i in searched["serviceHealth"]] == ["TM300400"]
    missing = world.client.get("/api/x_mioms_m365_assis/v1/incidents/" + "0" * 32 + "/insights")
    assert missing.status_code == 404 and missing.json()["status"] == "failure"


def test_an_api_search_with_the_session_cookie_alone_is_refused_and_stores_nothing(world: World) -> None:
    configured(world)
    sys_id = world.incident("Mail delivery delayed")

    searched = world.client.get(
        f"/api/x_mioms_m365_assis/v1/incidents/{sys_id}/insights", params={"search": "planted text"}
    )

    assert searched.status_code == 403
    assert stored(world) == []


def test_votes_are_recorded_while_feedback_is_on(world: World) -> None:
    configured(world)
    sys_id = world.incident("Mail delivery delayed")
    page = act(world, sys_id, "insights")
    assert "Helpful" in page.text
    voted = act(world, sys_id, "feedback", result_id="serviceHealth:EX100200", vote="down")
    assert "(your vote)" in voted.text
    act(world, sys_id, "feedback", result_id="serviceHealth:EX100200", vote="up")
    with transaction(world.connector.sessions) as session:
        [vote] = session.scalars(select(InsightFeedback)).all()
    assert (vote.result_id, vote.vote, vote.incident_sys_id) == ("serviceHealth:EX100200", 1, sys_id)


def test_no_votes_when_feedback_is_off(world: World) -> None:
    configured(world, feedback=False)
    sys_id = world.incident("Mail delivery delayed")
    page = act(world, sys_id, "insights")
    assert "Mail delivery delayed in Exchange Online" in page.text and "Helpful" not in page.text
    refused = world.client.post(
        f"/api/x_mioms_m365_assis/v1/incidents/{sys_id}/insights/feedback",
        json={"resultId": "serviceHealth:EX100200", "vote": "up"},
        headers={"X-CSRF-Token": page_csrf(world.client, f"/incidents/{sys_id}/m365")},
    )
    assert refused.status_code == 409
    with transaction(world.connector.sessions) as session:
        assert session.scalars(select(InsightFeedback)).all() == []


def test_users_without_the_role_do_not_see_the_tab_and_the_log_says_why(world: World) -> None:
    configured(world)
    sys_id = world.incident("Mail delivery delayed")
    make_user(world.connector, "itil-only", [ITIL])
    login(world.client, "itil-only")
    form = world.client.get(f"/incidents/{sys_id}")
    assert "Microsoft 365 support" not in form.text.split('class="tabs"')[1]
    with recording_deferred_writes() as breaches:
        asked = world.client.get(f"/incidents/{sys_id}?tab=m365")
    assert asked.url.path == f"/incidents/{sys_id}" and "Microsoft 365 Insights" not in asked.text
    assert breaches == []  # the GET's log line is written by a writer unit of its own
    with transaction(world.connector.sessions) as session:
        [line] = system_log.search(session, text="tab is hidden from itil-only")
    assert "x_mioms_m365_assis.insights_user" in line.message


def test_a_stored_answer_is_keyed_by_the_incidents_sys_id_and_number(world: World) -> None:
    configured(world)
    sys_id = world.incident("Mail delivery delayed")
    csrf = page_csrf(world.client, f"/incidents/{sys_id}/m365")
    answer_page = world.client.get(
        f"/api/x_mioms_m365_assis/v1/incidents/{sys_id}/insights", headers={"X-CSRF-Token": csrf}
    )
    assert answer_page.status_code == 200
    [answer] = stored(world)
    with transaction(world.connector.sessions) as session:
        number = session.get(Incident, sys_id).number
    assert (answer.incident_sys_id, answer.incident_number) == (sys_id, number) and number.startswith("INC")
