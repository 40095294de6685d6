"""The service-desk port: everything the connector's features need from the desk that holds the incidents.

The features (insights, cases, inbound case events, health auto-incidents, the tab, the doctor) speak only
this port; the desk behind it is the built-in incident table (``builtin.BuiltinDesk``) or a remote
instance. The shapes here are the desk's, not a table's: a ``DeskIncident`` is a frozen copy, so nothing a
feature does to it reaches the desk except through a write operation.

Writes take the caller's database connection, so a desk can make them part of the caller's transaction:
the built-in desk applies them there (atomic with the feature's own bookkeeping); a remote desk records
them in its outbox there and delivers them after the commit (``outbox``), because an HTTP call must never
run inside a database write transaction. Reads may call out, so callers read before their writer unit.
See docs/architecture.md, "The service-desk port".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Connection
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class DeskIncident:
    """An incident as the features see it, whichever desk holds it."""

    sys_id: str
    number: str
    short_description: str
    description: str
    state: int
    active: bool
    # Resolved, closed or canceled: the desk's own judgement, so features need not know its state codes.
    done: bool
    correlation_id: str
    updated_on: dt.datetime
    url: str  # where to open it in the desk's own UI


@dataclass(frozen=True)
class Watermark:
    """A position in the desk's change order: incidents are ordered by ``(sys_updated_on, sys_id)``, so
    several records with the same timestamp are neither skipped nor repeated across pages."""

    updated_on: dt.datetime
    sys_id: str


@dataclass(frozen=True)
class ChangePage:
    incidents: Sequence[DeskIncident]
    watermark: Watermark | None  # after the last incident of this page (the caller stores it)
    more: bool  # whether another page follows right away


@dataclass(frozen=True)
class WorkNote:
    """A work note to add; ``key`` is the writer's idempotency key (e.g. the case event id), so a retried
    write is not doubled."""

    incident_sys_id: str
    text: str
    author: str
    key: str


@dataclass(frozen=True)
class NewIncident:
    """An incident the connector opens (v2.1 auto-incidents); ``correlation_id`` names its source."""

    correlation_id: str
    correlation_display: str
    short_description: str
    description: str
    impact: int
    urgency: int
    fields: dict[str, str] = field(default_factory=dict)  # assignment group, category, assignee …


@dataclass(frozen=True)
class IncidentRef:
    sys_id: str
    number: str


class DeskError(Exception):
    """The desk refused a call for good (wrong data, missing rights): retrying will not help."""


class DeskRetriableError(DeskError):
    """The desk could not be reached or asked to wait: the same call may succeed later."""


class ServiceDesk(Protocol):
    """What the features call. Reads raise ``NotFound`` for an incident the desk does not have."""

    def get_incident(self, session: Session, sys_id: str) -> DeskIncident: ...

    def find_incident(self, session: Session, sys_id_or_number: str) -> DeskIncident:
        """By sys_id or by number, for people who type one or the other."""
        ...

    def incident_numbers(self, connection: Connection, sys_ids: Collection[str]) -> dict[str, str]:
        """The numbers of those of ``sys_ids`` the desk knows, without a network call (usable inside a
        write transaction: the inbound case events' batch asks it)."""
        ...

    def changed_since(self, session: Session, since: Watermark | None, *, limit: int) -> ChangePage:
        """Incidents created or changed after ``since`` (all when None), oldest change first."""
        ...

    def add_work_notes(self, connection: Connection, notes: Sequence[WorkNote]) -> None:
        """Work notes in the caller's transaction (a batch is one statement on the built-in desk)."""
        ...

    def create_incident(self, session: Session, new: NewIncident) -> IncidentRef | None:
        """Open an incident in the caller's transaction; None when the desk delivers it after the commit
        (the reference then comes with the delivery)."""
        ...

    def resolve_incident(self, session: Session, sys_id: str, close_code: str, close_notes: str) -> None: ...


class RemoteDesk(Protocol):
    """The writes of a desk reached over the network (a ServiceNow instance): plain calls, no database.
    Its ``ServiceDesk`` records writes with ``outbox.enqueue``; ``outbox.deliver_due`` makes each call
    exactly once, asking ``has_work_note`` / ``find_by_correlation`` before repeating a call whose outcome
    is unknown."""

    def add_work_note(self, note: WorkNote) -> None: ...

    def has_work_note(self, incident_sys_id: str, key: str) -> bool: ...

    def create_incident(self, new: NewIncident) -> IncidentRef: ...

    def find_by_correlation(self, correlation_id: str) -> IncidentRef | None: ...

    def resolve_incident(self, sys_id: str, close_code: str, close_notes: str) -> None: ...
