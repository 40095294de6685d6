"""Applying case events from the support service: exactly once, in per-case order, all or nothing.

The hot path of the inbound Endpoint. ``apply_events`` takes a whole batch (see ``ingest``) in two steps:

1. **Plan.** Three reads for the whole batch (the cases it names, the event ids already in the ledger, the
   numbers of the incidents new cases would hang on, from the service desk), then every event decided in
   arrival order against that picture, which each applied event moves on. A case's next event later in the
   same batch therefore applies; one that skips a sequence answers 409. A sequence at or below the case's
   last one is a redelivery (acknowledged, no effect). A refusal changes nothing but its own outcome.
2. **Write.** One ``executemany`` per table: new cases, the touched cases (guarded by the sequence they had
   when read), the ledger, thread entries; then the work notes as one batch through the service-desk port
   (one executemany on the built-in desk; a remote desk's outbox rows), keyed by the event id.

On SQLite the caller's ``BEGIN IMMEDIATE`` excludes every other writer between the two steps. Where
another writer can interleave (PostgreSQL, several connector processes), the write step notices: a guard
that matched fewer rows, or a unique key already taken, raises ``Interference`` and the caller retries the
batch one event at a time (``apply_events`` of a single event, whose ``Interference`` is that event's 409).
Everything runs on a Core connection (no session, ORM objects or flush).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from m365bridge.connector.cases import repository
from m365bridge.connector.cases.models import RESOLVED
from m365bridge.connector.db import new_sys_id
from m365bridge.connector.servicedesk.port import ServiceDesk, WorkNote
from m365bridge.shared.errors import Conflict, NotFound, UserError
from m365bridge.shared.orm import utcnow

CASE_CREATED = "case.created"
CASE_STATUS_CHANGED = "case.statusChanged"
CASE_MESSAGE = "case.message"
CASE_RESOLVED = "case.resolved"
CASE_CONTACT_UPDATED = "case.contactUpdated"

Outcome = bool | UserError  # applied, a redelivery, or the refusal


@dataclass(frozen=True)
class Event:
    id: str
    sequence: int
    type: str
    case_id: str
    case_number: str
    incident_sys_id: str
    occurred_at: dt.datetime
    data: dict[str, Any]


class Interference(Exception):
    """Another writer changed a case or took an event id between this batch's reads and its writes."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what  # "case" or "ledger"


@dataclass
class _Case:
    """A case as the batch sees it: as read (or started by its case.created), plus the events applied."""

    row: dict[str, Any]  # sys_id, case_id, number, incident_sys_id, CASE_STATE (every column if new)
    read_sequence: int  # last_sequence when read, the guard of its update (0 for a new case)
    new: bool = False


@dataclass
class _Plan:
    outcomes: list[Outcome] = field(default_factory=list)
    cases: dict[str, _Case] = field(default_factory=dict)  # by sys_id: those the batch changes or starts
    ledger: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    notes: list[WorkNote] = field(default_factory=list)


def apply_events(
    connection: Connection, submitted: Sequence[tuple[Event, str]], *, desk: ServiceDesk
) -> list[Outcome]:
    """Apply ``(event, author)`` pairs in order; one outcome each. Raises ``Interference`` (nothing
    written that the caller's transaction should keep) when another writer got in between."""
    plan = _plan(connection, submitted, desk)
    _write(connection, plan, desk)
    return plan.outcomes


def apply_one(connection: Connection, event: Event, author: str, *, desk: ServiceDesk) -> Outcome:
    """The event alone in a savepoint of its own: another writer's interference is this event's 409."""
    try:
        with connection.begin_nested():
            return apply_events(connection, [(event, author)], desk=desk)[0]
    except Interference as interference:
        if interference.what == "ledger":
            return _id_reused(event)
        return Conflict(f"Event {event.sequence} of case {event.case_number} is being applied; retry.")


def _plan(connection: Connection, submitted: Sequence[tuple[Event, str]], desk: ServiceDesk) -> _Plan:
    events = [event for event, _ in submitted]
    cases = {
        row["case_id"]: _Case(row, row["last_sequence"])
        for row in repository.case_states(connection, {event.case_id for event in events})
    }
    used_ids = repository.used_event_ids(connection, {event.id for event in events})
    wanted = {e.incident_sys_id for e in events if e.type == CASE_CREATED and e.case_id not in cases}
    incidents_found = desk.incident_numbers(connection, wanted) if wanted else {}
    plan = _Plan()
    for event, author in submitted:
        try:
            plan.outcomes.append(_decide(plan, cases, used_ids, incidents_found, event, author))
        except UserError as refusal:
            plan.outcomes.append(refusal)
    return plan


def _decide(
    plan: _Plan,
    cases: dict[str, _Case],
    used_ids: set[str],
    incidents_found: dict[str, str],
    event: Event,
    author: str,
) -> bool:
    case = cases.get(event.case_id) or _start(event, incidents_found)
    last = case.row["last_sequence"]
    if event.sequence <= last:
        return False
    if event.sequence > last + 1:
        raise Conflict(
            f"Event {event.sequence} of case {event.case_number} arrived before event {last + 1}; "
            "send the missing events first."
        )
    values, note, message = _effect(case.row["number"], event)
    if event.id in used_ids:
        raise _id_reused(event)
    # Applied from here on: the batch's picture moves on.
    cases[event.case_id] = case
    plan.cases.setdefault(case.row["sys_id"], case)
    case.row.update(values, updated_at=event.occurred_at, last_sequence=event.sequence)
    used_ids.add(event.id)
    plan.ledger.append(
        {
            "id": event.id,
            "case_id": event.case_id,
            "sequence": event.sequence,
            "type": event.type,
            "received_at": utcnow(),
        }
    )
    if message is not None:
        plan.messages.append({"sys_id": new_sys_id(), "case_sys_id": case.row["sys_id"], **message})
    if note:
        plan.notes.append(WorkNote(case.row["incident_sys_id"], note, author, key=f"case-event:{event.id}"))
    return True


def _id_reused(event: Event) -> Conflict:
    return Conflict(f"Event id {event.id} was already used for another event.")


def _start(event: Event, incidents_found: dict[str, str]) -> _Case:
    """The case row a case.created starts when it overtakes the answer to the request that opened it."""
    if event.type != CASE_CREATED:
        raise NotFound(f"No Microsoft support case {event.case_id} ({event.case_number}) on this connector.")
    if event.incident_sys_id not in incidents_found:
        raise NotFound(f"No incident has sys_id {event.incident_sys_id!r}.")
    row = repository.new_case_row(
        case_id=event.case_id,
        number=event.case_number,
        incident_sys_id=event.incident_sys_id,
        incident_number=incidents_found[event.incident_sys_id],
        title=str(event.data.get("title", "")),
        created_at=event.occurred_at,
    )
    return _Case(row, 0, new=True)


def _write(connection: Connection, plan: _Plan, desk: ServiceDesk) -> None:
    new = [case.row for case in plan.cases.values() if case.new]
    # Updated in sys_id order, the same in every writer, so two PostgreSQL writers touching the same cases
    # wait for each other instead of deadlocking.
    changed = [plan.cases[sys_id] for sys_id in sorted(plan.cases) if not plan.cases[sys_id].new]
    try:
        if new:
            repository.insert_cases(connection, new)
    except IntegrityError:
        raise Interference("case") from None
    if changed:
        guarded = [(case.row, case.read_sequence) for case in changed]
        if repository.update_case_states(connection, guarded) != len(guarded):
            raise Interference("case")
    try:
        if plan.ledger:
            repository.record_events(connection, plan.ledger)
    except IntegrityError:
        raise Interference("ledger") from None
    if plan.messages:
        repository.insert_messages(connection, plan.messages)
    if plan.notes:
        desk.add_work_notes(connection, plan.notes)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"data.{key}: a non-empty string is required")
    return value


def _effect(number: str, event: Event) -> tuple[dict[str, Any], str, dict[str, Any] | None]:
    """What the event changes on the case, the work note it writes, and the thread entry it adds."""
    data = event.data
    if event.type == CASE_CREATED:
        status = str(data.get("status") or "new")
        return {"status": status}, f"Microsoft support case {number} was opened ({status}).", None
    if event.type == CASE_STATUS_CHANGED:
        status = _text(data, "status")
        previous = data.get("previousStatus") or "unknown"
        note = f"Microsoft support case {number}: status changed from {previous} to {status}."
        return {"status": status, "resolved": status == RESOLVED}, note, None
    if event.type == CASE_MESSAGE:
        body, author = _text(data, "body"), _text(data, "author")
        message = {
            "author_kind": str(data.get("authorKind") or "engineer"),
            "author": author,
            "body": body,
            "client_message_id": None,
            "created_at": event.occurred_at,
        }
        return {}, f"Microsoft support case {number}: message from {author}:\n\n{body}", message
    if event.type == CASE_RESOLVED:
        return {"status": RESOLVED, "resolved": True}, "", None
    if event.type == CASE_CONTACT_UPDATED:
        contact = {
            "contact_name": str(data.get("name", "")),
            "contact_email": str(data.get("email", "")),
            "contact_phone": str(data.get("phone", "")),
            "preferred_contact_method": str(data.get("preferredContactMethod") or "email"),
        }
        return contact, "", None
    return {}, "", None  # a type this version does not know: keep the order, change nothing
