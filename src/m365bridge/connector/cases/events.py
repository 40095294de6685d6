"""Applying case events from the support service: exactly once, in per-case order, all or nothing.

The hot path of the inbound Endpoint: one read of the case, one guarded update of it, one insert into the
event ledger, and the work note (plus the thread entry for messages), all in the caller's transaction on a
Core connection (no session, ORM objects or flush), since ``ingest`` applies many events per transaction.
A sequence at or below the case's last one is a redelivery (acknowledged, no effect); one beyond the next
is a gap (409, so the sender retries after delivering the missing one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from m365bridge.connector.cases import repository
from m365bridge.connector.cases.models import RESOLVED
from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.incidents.table import Journal
from m365bridge.shared.errors import Conflict, NotFound, UserError

CASE_CREATED = "case.created"
CASE_STATUS_CHANGED = "case.statusChanged"
CASE_MESSAGE = "case.message"
CASE_RESOLVED = "case.resolved"
CASE_CONTACT_UPDATED = "case.contactUpdated"


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


@dataclass(frozen=True)
class _CaseHead:
    sys_id: str
    number: str
    incident_sys_id: str
    last_sequence: int


def apply_event(connection: Connection, event: Event, *, author: str) -> bool:
    """Apply ``event``; True when applied, False for a redelivery. Raises NotFound, Conflict, UserError."""
    head = _head(connection, event)
    if event.sequence <= head.last_sequence:
        return False
    if event.sequence > head.last_sequence + 1:
        raise Conflict(
            f"Event {event.sequence} of case {event.case_number} arrived before event "
            f"{head.last_sequence + 1}; send the missing events first."
        )
    values, note, message = _effect(head, event)
    changes = {"updated_at": event.occurred_at, **values}
    if not repository.advance(connection, head.sys_id, event.sequence, **changes):
        raise Conflict(f"Event {event.sequence} of case {event.case_number} is being applied; retry.")
    try:
        repository.record_event(connection, event.id, event.case_id, event.sequence, event.type)
    except IntegrityError:
        raise Conflict(f"Event id {event.id} was already used for another event.") from None
    if message is not None:
        repository.insert_message(connection, head.sys_id, **message)
    if note:
        incidents.write_journal(connection, head.incident_sys_id, Journal.WORK_NOTES, note, author)
    return True


def _head(connection: Connection, event: Event) -> _CaseHead:
    row = repository.case_head(connection, event.case_id)
    if row is not None:
        return _CaseHead(*row)
    if event.type != CASE_CREATED:
        raise NotFound(f"No Microsoft support case {event.case_id} ({event.case_number}) on this connector.")
    # case.created can overtake the answer to the request that opened the case: start the row from it.
    if not repository.incident_exists(connection, event.incident_sys_id):
        raise NotFound(f"No incident has sys_id {event.incident_sys_id!r}.")
    sys_id = repository.insert_case(
        connection,
        case_id=event.case_id,
        number=event.case_number,
        incident_sys_id=event.incident_sys_id,
        title=str(event.data.get("title", "")),
        created_at=event.occurred_at,
    )
    return _CaseHead(sys_id, event.case_number, event.incident_sys_id, 0)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"data.{key}: a non-empty string is required")
    return value


def _effect(head: _CaseHead, event: Event) -> tuple[dict[str, Any], str, dict[str, Any] | None]:
    """What the event changes on the case, the work note it writes, and the thread entry it adds."""
    data, number = event.data, head.number
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
