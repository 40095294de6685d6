"""Incident logic of the built-in service desk. Never commits.

The Table API, the pages and the CLI call it; the connector's features reach incidents only through the
service-desk port, whose built-in adapter (``connector/servicedesk/builtin.py``) calls it. ``add_journal``
only adds rows and never loads or touches the incident.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from m365bridge.connector.incidents import repository
from m365bridge.connector.incidents.changes import Changes, read_changes
from m365bridge.connector.incidents.models import Incident, JournalEntry, new_sys_id
from m365bridge.connector.incidents.table import (
    CLOSE_CODES,
    DONE_STATES,
    INACTIVE_STATES,
    Journal,
    State,
    priority_for,
)
from m365bridge.shared.errors import NotFound, UserError
from m365bridge.shared.orm import utcnow

NUMBER_PREFIX = "INC"


class Actor(Protocol):
    """Who makes a change: a signed-in ``Principal`` or ``SYSTEM`` for jobs."""

    @property
    def user_id(self) -> str | None: ...

    @property
    def user_name(self) -> str: ...


@dataclass(frozen=True)
class SystemActor:
    user_id: str | None = None
    user_name: str = "system"


SYSTEM = SystemActor()


def get_incident(session: Session, sys_id: str) -> Incident:
    incident = repository.get(session, sys_id)
    if incident is None:
        raise NotFound(f"No incident has sys_id {sys_id!r}.")
    return incident


def find_incident(session: Session, sys_id_or_number: str) -> Incident:
    """By sys_id or by number (``INC0010001``), for people who type one or the other."""
    incident = repository.get(session, sys_id_or_number) or repository.by_number(
        session, sys_id_or_number.upper()
    )
    if incident is None:
        raise NotFound(f"No incident has sys_id or number {sys_id_or_number!r}.")
    return incident


def create_incident(session: Session, fields: Mapping[str, Any], by: Actor) -> Incident:
    """Insert an incident from ServiceNow-style field values; journal fields become its first entries."""
    changes = read_changes(fields)
    now = utcnow()
    incident = Incident(
        number=repository.next_number(session, "incident", NUMBER_PREFIX),
        opened_by=by.user_id,
        opened_at=now,
        sys_created_on=now,
        sys_created_by=by.user_name,
        sys_updated_on=now,
        sys_updated_by=by.user_name,
        sys_mod_count=0,
        state=State.NEW,
        impact=3,
        urgency=3,
        active=True,
        reopen_count=0,
    )
    sys_id = fields.get("sys_id")
    if sys_id:
        incident.sys_id = _checked_sys_id(session, str(sys_id))
    _apply(session, incident, changes, by, previous_state=State.NEW)
    session.add(incident)
    session.flush()
    _append_journal(session, incident, changes, by)
    return incident


def update_incident(session: Session, incident: Incident, fields: Mapping[str, Any], by: Actor) -> Incident:
    """Change fields like a Table API PATCH: journal fields append entries instead of overwriting."""
    changes = read_changes(fields)
    _apply(session, incident, changes, by, previous_state=State(incident.state))
    incident.sys_updated_on = utcnow()
    incident.sys_updated_by = by.user_name
    incident.sys_mod_count = (incident.sys_mod_count or 0) + 1
    _append_journal(session, incident, changes, by)
    return incident


def resolve_incident(
    session: Session, incident: Incident, close_code: str, close_notes: str, by: Actor
) -> Incident:
    """Resolve with the close code and notes ServiceNow's form makes mandatory when resolving."""
    if close_code not in CLOSE_CODES:
        raise UserError(f"Choose a resolution code: one of {', '.join(CLOSE_CODES)}.")
    if not close_notes.strip():
        raise UserError("Write resolution notes: they say how the incident was resolved.")
    fields = {"state": State.RESOLVED, "close_code": close_code, "close_notes": close_notes}
    return update_incident(session, incident, fields, by)


def reopen_incident(session: Session, incident: Incident, by: Actor) -> Incident:
    if incident.state not in DONE_STATES:
        raise UserError(f"Incident {incident.number} is not resolved, closed or canceled; nothing to reopen.")
    return update_incident(session, incident, {"state": State.IN_PROGRESS}, by)


def cancel_incident(session: Session, incident: Incident, by: Actor) -> Incident:
    if incident.state in INACTIVE_STATES:
        raise UserError(f"Incident {incident.number} is already closed or canceled.")
    return update_incident(session, incident, {"state": State.CANCELED}, by)


def delete_incident(session: Session, incident: Incident) -> None:
    repository.delete(session, incident)


def add_journal(session: Session, incident: Incident | str, element: str, value: str, author: str) -> None:
    """Append a work note or comment. Takes the incident or just its sys_id, so callers on a hot path need
    not load it. The same single path as ``write_journals`` (one Core insert on the session's connection,
    written at once), so a journal entry is built and stored one way only."""
    element_id = incident if isinstance(incident, str) else incident.sys_id
    write_journals(session.connection(), element, [(element_id, value, author)])


def _check_journal(element: str) -> None:
    if element not in (Journal.WORK_NOTES, Journal.COMMENTS):
        raise UserError(f"Unknown journal {element!r}: use work_notes or comments.")


def write_journals(connection: Connection, element: str, entries: Sequence[tuple[str, str, str]]) -> None:
    """Journal entries for many ``(incident sys_id, text, author)`` at once on a Core connection (one
    executemany, no ORM objects): the only way entries are written, fast enough for callers that write
    many in one transaction (inbound case events). Each entry is stamped as it is prepared, so they keep
    their order."""
    _check_journal(element)
    rows = [
        {
            "sys_id": new_sys_id(),
            "name": "incident",
            "element_id": incident_sys_id,
            "element": str(element),
            "value": value,
            "sys_created_by": author,
            "sys_created_on": utcnow(),
        }
        for incident_sys_id, value, author in entries
    ]
    repository.insert_journal_entries(connection, rows)


def list_journal(
    session: Session,
    incident: Incident | str,
    elements: Collection[str] = (Journal.WORK_NOTES, Journal.COMMENTS),
) -> Sequence[JournalEntry]:
    """The incident's journal entries, newest first."""
    element_id = incident if isinstance(incident, str) else incident.sys_id
    return repository.journal_for(session, element_id, [str(e) for e in elements])


def _checked_sys_id(session: Session, sys_id: str) -> str:
    if len(sys_id) != 32 or any(c not in "0123456789abcdef" for c in sys_id):
        raise UserError(f"Invalid value for field sys_id: {sys_id!r} is not 32 lowercase hex characters.")
    if repository.get(session, sys_id) is not None:
        raise UserError(f"An incident with sys_id {sys_id} already exists.")
    return sys_id


def _apply(session: Session, incident: Incident, changes: Changes, by: Actor, previous_state: State) -> None:
    for name, reference in changes.references.items():
        setattr(incident, name, _resolved_user(session, name, reference))
    for name, value in changes.values.items():
        setattr(incident, name, value)
    incident.priority = priority_for(incident.impact, incident.urgency)
    _follow_state(incident, previous_state, by)


def _resolved_user(session: Session, field: str, reference: str | None) -> str | None:
    if reference is None:
        return None
    user = repository.find_user(session, reference)
    if user is None:
        raise UserError(f"Invalid value for field {field}: no user has sys_id or user name {reference!r}.")
    return user.id


def _follow_state(incident: Incident, previous: State, by: Actor) -> None:
    """What ServiceNow's incident business rules do when the state changes."""
    state = State(incident.state)
    if state == previous:
        return
    now = utcnow()
    if state in (State.RESOLVED, State.CLOSED) and incident.resolved_at is None:
        incident.resolved_at, incident.resolved_by = now, by.user_id
    if state in INACTIVE_STATES:
        incident.closed_at, incident.closed_by = now, by.user_id
    if previous in DONE_STATES and state not in DONE_STATES:
        incident.reopen_count = (incident.reopen_count or 0) + 1
        incident.resolved_at = incident.resolved_by = None
        incident.closed_at = incident.closed_by = None
    incident.active = state not in INACTIVE_STATES


def _append_journal(session: Session, incident: Incident, changes: Changes, by: Actor) -> None:
    for element, value in changes.journal:
        add_journal(session, incident, element, value, by.user_name)
