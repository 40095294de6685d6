"""The built-in desk behind the service-desk port: reads as frozen copies, watermark paging, one-statement
work-note batches, creation and resolution, all in the caller's transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, update

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.incidents.table import Journal, State
from m365bridge.connector.servicedesk import BUILTIN
from m365bridge.connector.servicedesk.port import NewIncident, Watermark, WorkNote
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import NotFound

STAMP = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def make(context: ConnectorContext, text: str, **fields: Any) -> tuple[str, str]:
    with transaction(context.sessions, write=True) as session:
        incident = incidents.create_incident(session, {"short_description": text, **fields}, incidents.SYSTEM)
        return incident.sys_id, incident.number


def stamp_all(context: ConnectorContext, when: dt.datetime) -> None:
    with transaction(context.sessions, write=True) as session:
        session.execute(update(Incident).values(sys_updated_on=when))


def test_an_incident_is_read_by_sys_id_or_number_as_a_frozen_copy(connector_context):
    sys_id, number = make(connector_context, "Mail is slow", description="since 9:00")
    with transaction(connector_context.sessions) as session:
        by_id = BUILTIN.get_incident(session, sys_id)
        by_number = BUILTIN.find_incident(session, number.lower())
    assert by_id == by_number
    assert (by_id.number, by_id.short_description) == (number, "Mail is slow")
    assert by_id.description == "since 9:00"
    assert (by_id.state, by_id.active, by_id.done) == (State.NEW, True, False)
    assert by_id.url == f"/incidents/{sys_id}"
    with pytest.raises(dataclasses.FrozenInstanceError):
        by_id.short_description = "changed"  # type: ignore[misc]


def test_an_unknown_incident_is_not_found_with_todays_messages(connector_context):
    with transaction(connector_context.sessions) as session:
        with pytest.raises(NotFound, match="No incident has sys_id 'f00'"):
            BUILTIN.get_incident(session, "f00")
        with pytest.raises(NotFound, match="sys_id or number 'INC9'"):
            BUILTIN.find_incident(session, "INC9")


def test_paging_by_watermark_neither_skips_nor_repeats_incidents_with_the_same_timestamp(connector_context):
    made = {make(connector_context, f"incident {n}")[0] for n in range(7)}
    stamp_all(connector_context, STAMP)  # all seven changed in the same instant
    seen: list[str] = []
    watermark: Watermark | None = None
    with transaction(connector_context.sessions) as session:
        while True:
            page = BUILTIN.changed_since(session, watermark, limit=3)
            seen.extend(incident.sys_id for incident in page.incidents)
            watermark = page.watermark
            if not page.more:
                break
    assert sorted(seen) == seen and set(seen) == made and len(seen) == 7
    assert watermark == Watermark(STAMP, seen[-1])


def test_a_stored_watermark_resumes_with_only_the_later_changes(connector_context):
    first, _ = make(connector_context, "first")
    second, _ = make(connector_context, "second")
    stamp_all(connector_context, STAMP)
    with transaction(connector_context.sessions) as session:
        page = BUILTIN.changed_since(session, None, limit=10)
    assert not page.more and {i.sys_id for i in page.incidents} == {first, second}
    with transaction(connector_context.sessions, write=True) as session:  # a change after the "restart"
        incidents.update_incident(
            session, incidents.get_incident(session, first), {"state": State.IN_PROGRESS}, incidents.SYSTEM
        )
    with transaction(connector_context.sessions) as session:
        again = BUILTIN.changed_since(session, page.watermark, limit=10)
        nothing_new = BUILTIN.changed_since(session, again.watermark, limit=10)
    assert [(i.sys_id, i.state) for i in again.incidents] == [(first, State.IN_PROGRESS)]
    assert nothing_new.incidents == [] and nothing_new.watermark == again.watermark


def test_a_batch_of_work_notes_is_one_executemany_in_the_callers_transaction(connector_context):
    sys_id, _ = make(connector_context, "Teams calls drop")
    statements: list[tuple[str, bool]] = []

    def seen(_conn, _cursor, statement, _params, _context, executemany):
        statements.append((statement, executemany))

    event.listen(connector_context.engine, "before_cursor_execute", seen)
    try:
        notes = [WorkNote(sys_id, f"note {n}", "svc.m365", key=f"k{n}") for n in range(5)]
        with transaction(connector_context.sessions, write=True) as session:
            BUILTIN.add_work_notes(session.connection(), notes)
            session.rollback()  # the caller's bookkeeping failed: the notes go with it
        with transaction(connector_context.sessions, write=True) as session:
            BUILTIN.add_work_notes(session.connection(), notes)
    finally:
        event.remove(connector_context.engine, "before_cursor_execute", seen)
    journal_inserts = [many for statement, many in statements if "INSERT INTO sys_journal_field" in statement]
    assert journal_inserts == [True, True]
    with transaction(connector_context.sessions) as session:
        entries = incidents.list_journal(session, sys_id, (Journal.WORK_NOTES,))
    assert sorted(e.value for e in entries) == [f"note {n}" for n in range(5)]
    assert {e.sys_created_by for e in entries} == {"svc.m365"}


def test_an_incident_is_created_with_its_correlation_and_resolved_with_a_close_code(connector_context):
    new = NewIncident(
        correlation_id="EX1",
        correlation_display="Microsoft 365 service health",
        short_description="Exchange Online outage",
        description="Status: serviceInterruption",
        impact=2,
        urgency=1,
        fields={"assignment_group": "M365 desk", "category": "software"},
    )
    with transaction(connector_context.sessions, write=True) as session:
        ref = BUILTIN.create_incident(session, new)
    with transaction(connector_context.sessions) as session:
        created = BUILTIN.get_incident(session, ref.sys_id)
        numbers = BUILTIN.incident_numbers(session.connection(), {ref.sys_id, "0" * 32})
        row = incidents.get_incident(session, ref.sys_id)
        assert (row.assignment_group, row.impact, row.urgency) == ("M365 desk", 2, 1)
    assert (created.number, created.correlation_id, created.done) == (ref.number, "EX1", False)
    assert numbers == {ref.sys_id: ref.number}
    with transaction(connector_context.sessions, write=True) as session:
        BUILTIN.resolve_incident(session, ref.sys_id, "Solved (Permanently)", "Microsoft fixed it.")
    with transaction(connector_context.sessions) as session:
        resolved = BUILTIN.get_incident(session, ref.sys_id)
        row = incidents.get_incident(session, ref.sys_id)
        assert (row.close_code, row.close_notes) == ("Solved (Permanently)", "Microsoft fixed it.")
    assert (resolved.state, resolved.done) == (State.RESOLVED, True)
