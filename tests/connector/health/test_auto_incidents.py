"""One ITSM incident per Microsoft issue, updated with its posts and resolved with it."""

from __future__ import annotations

import threading

from sqlalchemy import select

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health import repository
from m365bridge.connector.health.auto_incidents import CLOSE_CODE, apply_auto_incidents
from m365bridge.connector.health.models import AutoIncidentLink, AutoIncidentSettings
from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.incidents.table import Journal, State
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow
from tests.connector.health.fake_graph import issue, stamp

NOW = utcnow().replace(microsecond=0)


def post(text: str, minutes: int) -> dict[str, object]:
    when = stamp(NOW.replace(second=0) if minutes == 0 else NOW)
    return {
        "createdDateTime": f"{when[:-3]}{minutes:02d}Z",
        "postType": "regular",
        "description": {"content": text},
    }


def enable(context: ConnectorContext, *, auto_resolve: bool = True) -> None:
    with transaction(context.sessions) as session:
        session.add(
            AutoIncidentSettings(
                id=1,
                enabled=True,
                assignment_group="M365 desk",
                category="software",
                auto_resolve=auto_resolve,
            )
        )


def store(context: ConnectorContext, *items: dict[str, object]) -> None:
    with transaction(context.sessions) as session:
        for item in items:
            repository.upsert_issue(session, item)


def linked(context: ConnectorContext) -> list[Incident]:
    with transaction(context.sessions) as session:
        return list(session.scalars(select(Incident).where(Incident.correlation_id != "")))


def test_two_concurrent_runs_and_a_restart_make_one_incident_per_issue(
    connector_context: ConnectorContext,
) -> None:
    enable(connector_context)
    store(connector_context, *(issue(f"EX{n}", NOW, title=f"Mail issue {n}") for n in range(20)))
    runs = [threading.Thread(target=apply_auto_incidents, args=(connector_context,)) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    restarted = ConnectorContext.build(connector_context.settings)
    try:
        assert apply_auto_incidents(restarted).created == 0
    finally:
        restarted.close()
    made = linked(connector_context)
    assert sorted(i.correlation_id for i in made) == sorted(f"EX{n}" for n in range(20))
    with transaction(connector_context.sessions) as session:
        assert len(session.scalars(select(AutoIncidentLink)).all()) == 20


def test_fields_posts_as_work_notes_and_auto_resolve(connector_context: ConnectorContext) -> None:
    enable(connector_context)
    first = issue(
        "EX1", NOW, title="Mail delayed", status="serviceInterruption", posts=[post("Investigating.", 1)]
    )
    store(connector_context, first)
    apply_auto_incidents(connector_context)
    [incident] = linked(connector_context)
    assert (incident.short_description, incident.urgency, incident.assignment_group) == (
        "Mail delayed",
        1,
        "M365 desk",
    )
    later = issue(
        "EX1",
        NOW.replace(year=NOW.year + 1),
        title="Mail delayed",
        isResolved=True,
        status="serviceRestored",
        endDateTime=stamp(NOW),
        posts=[post("Investigating.", 1), post("Fixed.", 2)],
    )
    store(connector_context, later)
    outcome = apply_auto_incidents(connector_context)
    assert outcome.notes == 1 and outcome.resolved == 1
    with transaction(connector_context.sessions) as session:
        resolved = incidents.get_incident(session, incident.sys_id)
        notes = [e.value for e in incidents.list_journal(session, resolved, (Journal.WORK_NOTES,))]
        assert resolved.state == State.RESOLVED and resolved.close_code == CLOSE_CODE
        assert "was resolved on" in resolved.close_notes
    assert "Fixed." in notes and "Investigating." in notes
    assert apply_auto_incidents(connector_context).notes == 0


def test_the_link_keeps_the_incidents_number_beside_its_sys_id(connector_context: ConnectorContext) -> None:
    enable(connector_context)
    store(connector_context, issue("EX7", NOW, title="Teams down"))
    apply_auto_incidents(connector_context)
    [incident] = linked(connector_context)
    with transaction(connector_context.sessions) as session:
        [link] = session.scalars(select(AutoIncidentLink)).all()
        assert (link.incident_sys_id, link.incident_number) == (incident.sys_id, incident.number)
