"""The full loop against a customer's ServiceNow instance (the stand-in), with the connector reaching it by
the OAuth password grant and by Basic. Every scenario ends in a work note (or a resolution) on the
instance, read back through the instance's own Table API: nothing here reads the connector's tables to
decide an outcome."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from m365bridge.cloud.graph import importer as graph_importer
from m365bridge.cloud.graph.generator import SCENARIOS
from m365bridge.connector.health.auto_incidents import CLOSE_CODE
from m365bridge.connector.health.background import sync_now
from m365bridge.connector.health.models import AutoIncidentSettings
from m365bridge.connector.users import repository as users_repository
from m365bridge.connector.users import service as users
from m365bridge.connector.users.roles import APP_ADMINISTRATOR
from m365bridge.demo.incidents import open_issue
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow
from m365bridge.shared.tls import ServerCertificate
from tests.connector.auth.helpers import hidden_field
from tests.e2e.instance_loop import InstanceLoop, start_instance_loop
from tests.e2e.loop import API, eventually, write

# The demo's live service health issue EX900001 is about this; its sample incident says it this way.
MAIL_PROBLEM = "Users can't send mail from Outlook on the web"


@pytest.fixture(params=["oauth", "basic"])
def world(request: pytest.FixtureRequest, tmp_path: Path, tls: ServerCertificate) -> Iterator[InstanceLoop]:
    running = start_instance_loop(request.param, tmp_path, tls)
    yield running
    running.close()


def test_an_incident_created_on_the_instance_gets_its_insights_work_note(world: InstanceLoop) -> None:
    incident = world.create_incident(MAIL_PROBLEM, "Messages stay in Drafts since this morning.")

    notes = eventually(lambda: world.work_notes(incident["sys_id"]), 60, "the insights work note")
    assert len(notes) == 1
    note = notes[0]
    assert "EX900001" in note  # the matching service health issue, with its status
    assert "Service degradation" in note or "serviceDegradation" in note
    assert f"{world.loop.record.connector_url}/incidents/{incident['sys_id']}/m365" in note  # the full tab

    # A later change that is not a new problem posts nothing more.
    with world.table_api() as http:
        http.patch(f"/api/now/table/incident/{incident['sys_id']}", json={"urgency": "2"}).raise_for_status()
    unrelated = world.create_incident("Printer on floor 3 jams")
    eventually(lambda: world.connector_has_seen(unrelated["sys_id"]), 60, "the runner to see the printer")
    assert world.work_notes(incident["sys_id"]) == notes
    assert world.work_notes(unrelated["sys_id"]) == []


def test_an_instance_agent_escalates_from_the_tab_and_the_engineer_replies(world: InstanceLoop) -> None:
    # The instance's admin lets the agent contact Microsoft support (the app's administrator role).
    with transaction(world.instance.sessions, write=True) as session:
        agent = users_repository.by_user_name(session, world.made["people"]["agent"]["user_name"])
        assert agent is not None
        users.grant(session, agent, APP_ADMINISTRATOR)
    incident = world.create_incident(MAIL_PROBLEM)
    tab = f"/incidents/{incident['sys_id']}/m365"

    with closing(world.sign_in_agent(tab)) as browser:
        page = browser.get(tab)
        assert page.status_code == 200 and incident["number"] in page.text
        assert "Open in ServiceNow" in page.text and "Contact Microsoft support" in page.text
        csrf = hidden_field(page.text, "csrf_token")
        body = {
            "title": "Mail stuck in Drafts",
            "description": "Outlook on the web cannot send since this morning.",
            "contact": {"name": "Abel Tuter", "email": "abel@contoso.com", "phone": "+1 555 0100"},
            "preferredContactMethod": "email",
        }
        opened = browser.post(
            f"{API}/incidents/{incident['sys_id']}/cases", json=body, headers={"X-CSRF-Token": csrf}
        )
    assert opened.status_code == 201, opened.text
    case = opened.json()["result"]
    assert case["number"]

    world.loop.engineer_reply(case["caseId"], "Please send the message trace.")
    eventually(
        lambda: any("Please send the message trace." in n for n in world.work_notes(incident["sys_id"])),
        60,
        "the engineer's reply as a work note on the instance",
    )
    replies = [n for n in world.work_notes(incident["sys_id"]) if "Please send the message trace." in n]
    assert len(replies) == 1


def test_a_service_health_issue_opens_an_instance_incident_later_resolved(world: InstanceLoop) -> None:
    write(
        world.connector.sessions,
        lambda s: s.merge(AutoIncidentSettings(id=1, enabled=True, assignment_group="", auto_resolve=True)),
    )
    tenant_id = world.loop.record.tenant["id"]
    scenario = SCENARIOS[0]
    now = utcnow()
    fresh = open_issue("EX990077", scenario, now)
    write(world.loop.cloud.sessions, lambda s: graph_importer.upsert_issue(s, tenant_id, fresh))

    sync_now(world.connector)
    created = eventually(lambda: world.find_by_correlation("EX990077"), 60, "the incident on the instance")
    assert created["short_description"] == scenario.title[: len(created["short_description"])]
    assert created["state"] != "6"

    later = (now + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    resolved = {**fresh, "isResolved": True, "status": "serviceRestored", "lastModifiedDateTime": later}
    write(world.loop.cloud.sessions, lambda s: graph_importer.upsert_issue(s, tenant_id, resolved))
    sync_now(world.connector)

    def closed() -> dict[str, object] | None:
        record = world.incident(created["sys_id"])
        return record if record["state"] == "6" else None

    record = eventually(closed, 60, "the instance incident resolved")
    assert record["close_code"] == CLOSE_CODE
    assert "resolved" in str(record["close_notes"])
