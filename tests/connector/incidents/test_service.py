"""The incident service other features call: numbering, priority, state rules, journal."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from m365bridge.connector.incidents import service
from m365bridge.connector.incidents.models import Incident, JournalEntry
from m365bridge.connector.incidents.table import Journal, State
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError
from tests.connector.auth.helpers import make_user
from tests.connector.incidents.helpers import make_incident


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [(1, 1, 1), (1, 2, 2), (1, 3, 3), (2, 1, 2), (2, 2, 3), (2, 3, 4), (3, 1, 3), (3, 2, 4), (3, 3, 5)],
)
def test_priority_follows_servicenows_impact_urgency_matrix(connector_context, impact, urgency, priority):
    sys_id, _ = make_incident(connector_context, impact=impact, urgency=urgency)
    with transaction(connector_context.sessions) as session:
        assert service.get_incident(session, sys_id).priority == priority


def test_priority_is_derived_again_when_impact_changes(connector_context):
    sys_id, _ = make_incident(connector_context, impact=3, urgency=1)
    with transaction(connector_context.sessions) as session:
        incident = service.update_incident(
            session, service.get_incident(session, sys_id), {"impact": "1"}, service.SYSTEM
        )
        assert incident.priority == 1


def test_numbers_are_sequential_from_inc0010001_and_sys_ids_are_32_hex(connector_context):
    first_id, first = make_incident(connector_context)
    _, second = make_incident(connector_context)
    assert (first, second) == ("INC0010001", "INC0010002")
    assert re.fullmatch(r"[0-9a-f]{32}", first_id)


def test_concurrent_inserts_never_share_a_number(connector_context):
    numbers: list[str] = []
    errors: list[BaseException] = []

    def create_some() -> None:
        try:
            for _ in range(5):
                numbers.append(make_incident(connector_context)[1])
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=create_some) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert len(numbers) == 30 and len(set(numbers)) == 30


def test_resolving_keeps_the_incident_active_and_closing_or_canceling_does_not(connector_context):
    sys_id, _ = make_incident(connector_context)
    with transaction(connector_context.sessions) as session:
        incident = service.get_incident(session, sys_id)
        service.resolve_incident(
            session, incident, "Solved (Permanently)", "Restarted the relay.", service.SYSTEM
        )
        assert (incident.state, incident.active, incident.resolved_at is not None) == (
            State.RESOLVED,
            True,
            True,
        )
        service.update_incident(session, incident, {"state": "7"}, service.SYSTEM)
        assert (incident.active, incident.closed_at is not None) == (False, True)

    other_id, _ = make_incident(connector_context)
    with transaction(connector_context.sessions) as session:
        canceled = service.cancel_incident(session, service.get_incident(session, other_id), service.SYSTEM)
        assert (canceled.state, canceled.active) == (State.CANCELED, False)


def test_resolving_needs_a_close_code_and_notes(connector_context):
    sys_id, _ = make_incident(connector_context)
    with transaction(connector_context.sessions) as session:
        incident = service.get_incident(session, sys_id)
        with pytest.raises(UserError, match="resolution code"):
            service.resolve_incident(session, incident, "Fixed it", "notes", service.SYSTEM)
        with pytest.raises(UserError, match="resolution notes"):
            service.resolve_incident(session, incident, "Solved (Permanently)", " ", service.SYSTEM)


def test_reopening_clears_the_resolution_times_and_counts_the_reopen(connector_context):
    sys_id, _ = make_incident(connector_context)
    with transaction(connector_context.sessions) as session:
        incident = service.get_incident(session, sys_id)
        service.resolve_incident(session, incident, "Solved (Permanently)", "done", service.SYSTEM)
        service.reopen_incident(session, incident, service.SYSTEM)
        assert (incident.state, incident.resolved_at, incident.reopen_count) == (State.IN_PROGRESS, None, 1)


def test_an_invalid_state_is_refused_and_changes_nothing(connector_context):
    sys_id, _ = make_incident(connector_context)
    with pytest.raises(UserError, match="state"), transaction(connector_context.sessions) as session:
        service.update_incident(
            session,
            service.get_incident(session, sys_id),
            {"short_description": "x", "state": "99"},
            service.SYSTEM,
        )
    with transaction(connector_context.sessions) as session:
        incident = service.get_incident(session, sys_id)
        assert (incident.short_description, incident.sys_mod_count) == ("Mail is slow", 0)


def test_references_accept_a_user_name_and_store_the_sys_id(connector_context):
    user_id = make_user(connector_context, "abel.tuter")
    sys_id, _ = make_incident(connector_context, caller_id="abel.tuter")
    with transaction(connector_context.sessions) as session:
        assert service.get_incident(session, sys_id).caller_id == user_id


def test_an_unknown_user_reference_is_refused(connector_context):
    with pytest.raises(UserError, match="caller_id"):
        make_incident(connector_context, caller_id="nobody")


def test_journal_fields_in_an_update_append_entries(connector_context):
    sys_id, _ = make_incident(connector_context, work_notes="first look")
    with transaction(connector_context.sessions) as session:
        incident = service.get_incident(session, sys_id)
        service.update_incident(
            session, incident, {"work_notes": "second look", "comments": "hi"}, service.SYSTEM
        )
        assert incident.sys_mod_count == 1
    with transaction(connector_context.sessions) as session:
        notes = service.list_journal(session, sys_id, elements=[Journal.WORK_NOTES])
        assert sorted(e.value for e in notes) == ["first look", "second look"]
        assert [e.value for e in service.list_journal(session, sys_id)].count("hi") == 1


def test_add_journal_by_sys_id_adds_one_row_and_leaves_the_incident_alone(connector_context):
    sys_id, _ = make_incident(connector_context)
    with transaction(connector_context.sessions) as session:
        for n in range(3):
            service.add_journal(session, sys_id, "work_notes", f"update {n}", "svc.health")
    with transaction(connector_context.sessions) as session:
        assert session.scalar(select(func.count()).select_from(JournalEntry)) == 3
        assert session.get(Incident, sys_id).sys_mod_count == 0
        entries = service.list_journal(session, sys_id)
        assert sorted(e.value for e in entries) == ["update 0", "update 1", "update 2"]
        assert {(e.sys_created_by, e.element) for e in entries} == {("svc.health", "work_notes")}
        times = [e.sys_created_on for e in entries]
        assert times == sorted(times, reverse=True)


def test_add_journal_refuses_an_unknown_element(connector_context):
    with transaction(connector_context.sessions) as session, pytest.raises(UserError):
        service.add_journal(session, "0" * 32, "description", "x", "me")
