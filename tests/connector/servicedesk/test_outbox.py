"""A remote desk's writes through the outbox: recorded with the caller's transaction, delivered after it,
exactly once across failures and a kill between the desk call and its bookkeeping.

The remote desk is faked at the port (``FakeDesk`` records calls): the port is the boundary here; the
HTTP-level fake comes with the ServiceNow adapter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicedesk import outbox
from m365bridge.connector.servicedesk.models import DeskWrite
from m365bridge.connector.servicedesk.port import (
    DeskError,
    DeskRetriableError,
    IncidentRef,
    NewIncident,
    WorkNote,
)
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow

INCIDENT = "a" * 32


class Killed(BaseException):
    """The process dies here (kill -9): nothing after this point runs."""


@dataclass
class FakeDesk:
    """A remote desk: a journal per incident, created incidents by correlation id, and scripted faults."""

    notes: list[tuple[str, str, str]] = field(default_factory=list)  # incident, text, key
    created: dict[str, IncidentRef] = field(default_factory=dict)
    resolved: list[tuple[str, str, str]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    # What the next write call does: "ok", "refuse", "unreachable", "kill-before", "kill-after" (the
    # desk applied the write, then the answer was lost with the process).
    faults: list[str] = field(default_factory=list)

    def _fault(self) -> str:
        return self.faults.pop(0) if self.faults else "ok"

    def _write(self, apply: object) -> None:
        fault = self._fault()
        if fault == "refuse":
            raise DeskError("403: the ACL denies write on incident.work_notes")
        if fault == "unreachable":
            raise DeskRetriableError("connection refused")
        if fault == "kill-before":
            raise Killed()
        assert callable(apply)
        apply()
        if fault == "kill-after":
            raise Killed()

    def add_work_note(self, note: WorkNote) -> None:
        self.calls.append(f"add_work_note {note.key}")
        self._write(lambda: self.notes.append((note.incident_sys_id, note.text, note.key)))

    def has_work_note(self, incident_sys_id: str, key: str) -> bool:
        self.calls.append(f"has_work_note {key}")
        return any(sys_id == incident_sys_id and k == key for sys_id, _, k in self.notes)

    def create_incident(self, new: NewIncident) -> IncidentRef:
        self.calls.append(f"create_incident {new.correlation_id}")
        ref = IncidentRef(sys_id="c" * 32, number=f"INC{len(self.created) + 1:07d}")
        self._write(lambda: self.created.__setitem__(new.correlation_id, ref))
        return ref

    def find_by_correlation(self, correlation_id: str) -> IncidentRef | None:
        self.calls.append(f"find_by_correlation {correlation_id}")
        return self.created.get(correlation_id)

    def resolve_incident(self, sys_id: str, close_code: str, close_notes: str) -> None:
        self.calls.append(f"resolve_incident {sys_id}")
        self._write(lambda: self.resolved.append((sys_id, close_code, close_notes)))


def note(n: int) -> WorkNote:
    return WorkNote(INCIDENT, f"Microsoft support case 1: message {n}", "svc.m365", key=f"case-event:{n}")


def enqueue(context: ConnectorContext, *notes: WorkNote) -> None:
    with transaction(context.sessions, write=True) as session:
        outbox.enqueue_work_notes(session.connection(), notes)


def writes(context: ConnectorContext) -> list[DeskWrite]:
    with transaction(context.sessions) as session:
        found = list(session.scalars(select(DeskWrite).order_by(DeskWrite.id)))
        session.expunge_all()
        return found


def later(minutes: int) -> dt.datetime:
    return utcnow() + dt.timedelta(minutes=minutes)


def test_writes_commit_with_the_callers_transaction_and_are_delivered_once_in_order(connector_context):
    with transaction(connector_context.sessions, write=True) as session:
        outbox.enqueue_work_notes(session.connection(), [note(0)])
        session.rollback()  # the feature's bookkeeping failed: its desk write goes with it
    assert writes(connector_context) == []
    enqueue(connector_context, note(1), note(2))
    enqueue(connector_context, note(1))  # a retried writer: the key is recorded once
    desk = FakeDesk()
    assert outbox.deliver_due(connector_context.sessions, desk) == outbox.Delivery(delivered=2)
    assert outbox.deliver_due(connector_context.sessions, desk) == outbox.Delivery()
    assert [key for _, _, key in desk.notes] == ["case-event:1", "case-event:2"]
    assert desk.calls == ["add_work_note case-event:1", "add_work_note case-event:2"]  # no look-up needed
    assert all(write.delivered_at is not None for write in writes(connector_context))


@pytest.mark.parametrize("fault", ["kill-after", "kill-before"])
def test_a_kill_around_the_desk_call_neither_doubles_nor_loses_the_note(connector_context, fault):
    enqueue(connector_context, note(1))
    desk = FakeDesk(faults=[fault])
    with pytest.raises(Killed):
        outbox.deliver_due(connector_context.sessions, desk)
    # On restart the claim's lease keeps the write for the dead worker a while, then it is due again.
    assert outbox.deliver_due(connector_context.sessions, desk) == outbox.Delivery()
    assert outbox.deliver_due(connector_context.sessions, desk, now=later(3)) == outbox.Delivery(delivered=1)
    assert [key for _, _, key in desk.notes] == ["case-event:1"]
    assert desk.calls[1] == "has_work_note case-event:1"
    assert desk.calls.count("add_work_note case-event:1") == (1 if fault == "kill-after" else 2)


def test_an_unreachable_desk_is_retried_after_a_backoff(connector_context):
    enqueue(connector_context, note(1))
    desk = FakeDesk(faults=["unreachable", "unreachable"])
    assert outbox.deliver_due(connector_context.sessions, desk) == outbox.Delivery(retrying=1)
    (write,) = writes(connector_context)
    assert write.last_error == "connection refused" and write.attempts == 1
    assert outbox.deliver_due(connector_context.sessions, desk) == outbox.Delivery()  # not due yet
    assert outbox.deliver_due(connector_context.sessions, desk, now=later(1)) == outbox.Delivery(retrying=1)
    (write,) = writes(connector_context)
    waited = write.due_at - later(1)
    assert dt.timedelta(seconds=5) < waited <= dt.timedelta(seconds=11)  # doubled: 10 s after the second
    assert outbox.deliver_due(connector_context.sessions, desk, now=later(2)) == outbox.Delivery(delivered=1)
    assert len(desk.notes) == 1


def test_a_refusal_fails_the_write_for_good_with_its_message(connector_context):
    enqueue(connector_context, note(1))
    desk = FakeDesk(faults=["refuse"])
    assert outbox.deliver_due(connector_context.sessions, desk) == outbox.Delivery(failed=1)
    assert outbox.deliver_due(connector_context.sessions, desk, now=later(60)) == outbox.Delivery()
    (write,) = writes(connector_context)
    assert write.failed and "ACL" in write.last_error and desk.notes == []


def test_a_created_incident_is_looked_up_by_correlation_before_a_retry(connector_context):
    new = NewIncident("EX1", "Microsoft 365 service health", "Exchange down", "", 2, 1, {"category": "x"})
    with transaction(connector_context.sessions, write=True) as session:
        outbox.enqueue_create(session.connection(), new)
    with transaction(connector_context.sessions) as session:
        assert outbox.created_incident(session, "EX1") is None  # not delivered yet
    desk = FakeDesk(faults=["kill-after"])
    with pytest.raises(Killed):
        outbox.deliver_due(connector_context.sessions, desk)
    assert outbox.deliver_due(connector_context.sessions, desk, now=later(3)) == outbox.Delivery(delivered=1)
    assert desk.calls == ["create_incident EX1", "find_by_correlation EX1"]
    with transaction(connector_context.sessions) as session:
        assert outbox.created_incident(session, "EX1") == desk.created["EX1"]


def test_a_resolution_is_delivered_with_its_close_code(connector_context):
    with transaction(connector_context.sessions, write=True) as session:
        outbox.enqueue_resolve(session.connection(), INCIDENT, "Closed/Resolved by Caller", "Fixed.")
    desk = FakeDesk()
    assert outbox.deliver_due(connector_context.sessions, desk) == outbox.Delivery(delivered=1)
    assert desk.resolved == [(INCIDENT, "Closed/Resolved by Caller", "Fixed.")]
