"""A remote desk's writes: recorded in the feature's own transaction, delivered after its commit, once.

A write to a remote desk is an HTTP call, and no call may run inside a database write transaction (the
SQLite writer rule), while the write must still commit or roll back with the feature's bookkeeping. So the
desk's ``ServiceDesk`` write operations call ``enqueue``: one outbox row per write, in the caller's
transaction, keyed by the write's idempotency key. ``deliver_due`` then makes the calls, each between two
short transactions of its own:

1. claim: count the attempt and push the row's due time past a lease (a second worker leaves it alone);
2. call the desk, outside any transaction; if an earlier attempt was begun, ask the desk first whether it
   landed (``has_work_note`` / ``find_by_correlation``): a process killed between the call and step 3
   neither doubles nor loses the write;
3. settle: delivered (with the desk's answer), due again later (retriable failure, backing off), or failed
   for good (a refusal retrying cannot fix, kept with its message).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from m365bridge.connector.servicedesk import repository
from m365bridge.connector.servicedesk.models import CREATE, RESOLVE, WORK_NOTE, DeskWrite
from m365bridge.connector.servicedesk.port import (
    DeskError,
    DeskRetriableError,
    IncidentRef,
    NewIncident,
    RemoteDesk,
    WorkNote,
)
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)
BACKOFF_BASE = dt.timedelta(seconds=5)
BACKOFF_MAX = dt.timedelta(minutes=10)


@dataclass
class Delivery:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def enqueue_work_notes(connection: Connection, notes: Sequence[WorkNote]) -> None:
    now = utcnow()
    rows = [
        _row(note.key, WORK_NOTE, note.incident_sys_id, {"text": note.text, "author": note.author}, now)
        for note in notes
    ]
    repository.record(connection, rows)


def enqueue_create(connection: Connection, new: NewIncident) -> None:
    payload = {
        "correlation_id": new.correlation_id,
        "correlation_display": new.correlation_display,
        "short_description": new.short_description,
        "description": new.description,
        "impact": new.impact,
        "urgency": new.urgency,
        "fields": dict(new.fields),
    }
    repository.record(connection, [_row(f"create:{new.correlation_id}", CREATE, "", payload, utcnow())])


def enqueue_resolve(connection: Connection, sys_id: str, close_code: str, close_notes: str) -> None:
    payload = {"close_code": close_code, "close_notes": close_notes}
    repository.record(connection, [_row(f"resolve:{sys_id}", RESOLVE, sys_id, payload, utcnow())])


def created_incident(session: Session, correlation_id: str) -> IncidentRef | None:
    """The incident a delivered ``enqueue_create`` opened, once it has been delivered."""
    write = repository.get(session, f"create:{correlation_id}")
    if write is None or write.result is None:
        return None
    return IncidentRef(sys_id=write.result["sys_id"], number=write.result["number"])


def deliver_due(
    sessions: sessionmaker[Session], desk: RemoteDesk, *, limit: int = 50, now: dt.datetime | None = None
) -> Delivery:
    """Deliver the writes that are due, in the order they were recorded; safe to run twice at once."""
    outcome = Delivery()
    moment = now or utcnow()
    with transaction(sessions) as session:
        due = [(write.key, write.attempts) for write in repository.due(session, moment, limit)]
    for key, attempts in due:
        with transaction(sessions, write=True) as session:
            if not repository.claim(session, key, attempts, moment + LEASE):
                continue
            write = repository.get(session, key)
            assert write is not None  # claimed just now, in this transaction
            session.expunge(write)
        _deliver_one(sessions, desk, write, attempts, moment, outcome)
    return outcome


def _deliver_one(
    sessions: sessionmaker[Session],
    desk: RemoteDesk,
    write: DeskWrite,
    earlier_attempts: int,
    now: dt.datetime,
    outcome: Delivery,
) -> None:
    try:
        result = _call(desk, write, unsure=earlier_attempts > 0)
    except DeskRetriableError as error:
        wait = min(BACKOFF_BASE * 2**earlier_attempts, BACKOFF_MAX)  # doubles with each failure
        log.warning("service desk write %s will be retried: %s", write.key, error)
        with transaction(sessions, write=True) as session:
            repository.settle(session, write.key, due_at=now + wait, last_error=str(error))
        outcome.retrying += 1
        return
    except DeskError as error:
        log.error("service desk write %s refused for good: %s", write.key, error)
        with transaction(sessions, write=True) as session:
            repository.settle(session, write.key, failed=True, last_error=str(error))
        outcome.failed += 1
        return
    with transaction(sessions, write=True) as session:
        repository.settle(session, write.key, delivered_at=utcnow(), result=result, last_error="")
    outcome.delivered += 1


def _call(desk: RemoteDesk, write: DeskWrite, *, unsure: bool) -> dict[str, Any] | None:
    """The desk call a write stands for; a write begun before (``unsure``) is first looked up."""
    payload = write.payload
    if write.operation == WORK_NOTE:
        if unsure and desk.has_work_note(write.incident_sys_id, write.key):
            return None
        desk.add_work_note(WorkNote(write.incident_sys_id, payload["text"], payload["author"], write.key))
        return None
    if write.operation == CREATE:
        found = desk.find_by_correlation(payload["correlation_id"]) if unsure else None
        ref = found or desk.create_incident(NewIncident(**payload))
        return {"sys_id": ref.sys_id, "number": ref.number}
    if write.operation == RESOLVE:
        # Resolving twice leaves the incident as resolving once does: no look-up needed.
        desk.resolve_incident(write.incident_sys_id, payload["close_code"], payload["close_notes"])
        return None
    raise DeskError(f"Unknown service desk write {write.operation!r}.")


def _row(key: str, operation: str, sys_id: str, payload: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    return {
        "key": key,
        "operation": operation,
        "incident_sys_id": sys_id,
        "payload": payload,
        "created_at": now,
        "due_at": now,
        "attempts": 0,
        "delivered_at": None,
        "failed": False,
        "last_error": "",
        "result": None,
    }
