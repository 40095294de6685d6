"""Group commit of inbound case events: outcomes per event, nothing answered before its batch commits."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select, text

from m365bridge.connector.cases.events import Event
from m365bridge.connector.cases.ingest import EventWriter
from m365bridge.connector.cases.models import CaseEvent, SupportCase
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.incidents.models import JournalEntry
from m365bridge.connector.incidents.service import SYSTEM, create_incident
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import Conflict, UserError


@contextmanager
def holding_the_write_lock(context: ConnectorContext) -> Iterator[None]:
    """A write transaction the writer thread must wait for: on SQLite it holds the database's write turn;
    PostgreSQL locks rows, not the database, so there it locks the event ledger against inserts."""
    with transaction(context.sessions, write=True) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"LOCK TABLE {CaseEvent.__tablename__} IN EXCLUSIVE MODE"))
        else:
            session.execute(text("SELECT 1"))
        yield


@pytest.fixture
def writer(connector_context: ConnectorContext) -> EventWriter:
    return EventWriter(connector_context.engine, max_batch=50)


@pytest.fixture
def incident(connector_context: ConnectorContext) -> str:
    with transaction(connector_context.sessions) as session:
        return create_incident(session, {"short_description": "Mail delayed"}, SYSTEM).sys_id


def _event(incident: str, case_id: str, sequence: int, **data: Any) -> Event:
    kind = "case.created" if sequence == 1 else "case.message"
    body = data or ({"title": "Mail", "status": "new"} if sequence == 1 else {"body": "hi", "author": "Eng"})
    stamp = dt.datetime(2026, 1, 2, 3, 4, sequence, tzinfo=dt.UTC)
    return Event(str(uuid.uuid4()), sequence, kind, case_id, "CS0000001", incident, stamp, body)


def _count(context: ConnectorContext, model: type, **where: Any) -> int:
    with transaction(context.sessions) as session:
        query = select(func.count()).select_from(model).filter_by(**where)
        return int(session.scalar(query) or 0)


def _outcome(future: Future[bool]) -> bool | type[BaseException]:
    error = future.exception(timeout=30)
    return type(error) if error is not None else future.result()


def test_the_same_event_posted_concurrently_applies_once(
    connector_context: ConnectorContext, writer: EventWriter, incident: str
) -> None:
    created = _event(incident, "case-a", 1)
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda _: writer.submit(created, "integration").result(30), range(8)))
    assert sorted(outcomes) == [False] * 7 + [True]
    assert _count(connector_context, CaseEvent, case_id="case-a") == 1
    assert _count(connector_context, JournalEntry, element_id=incident) == 1


def test_a_refused_event_stores_nothing_and_its_batch_neighbours_still_apply(
    connector_context: ConnectorContext, writer: EventWriter, incident: str
) -> None:
    # Holding the write lock makes the writer wait, so these events queue up and share a batch.
    with holding_the_write_lock(connector_context):
        futures = [
            writer.submit(_event(incident, "case-a", 1), "integration"),
            writer.submit(_event(incident, "case-a", 3), "integration"),  # sequence 2 is missing
            writer.submit(_event(incident, "case-b", 1), "integration"),
            writer.submit(_event(incident, "case-b", 2, author="Eng"), "integration"),  # no body
            writer.submit(_event(incident, "case-a", 2), "integration"),
        ]
    assert [_outcome(future) for future in futures] == [True, Conflict, True, UserError, True]
    with transaction(connector_context.sessions) as session:
        rows = session.execute(select(SupportCase.case_id, SupportCase.last_sequence)).tuples().all()
    sequences = dict(rows)
    assert sequences == {"case-a": 2, "case-b": 1}
    assert _count(connector_context, CaseEvent) == 3
    assert _count(connector_context, JournalEntry, element_id=incident) == 3


def test_no_event_is_answered_before_its_batch_has_committed(
    connector_context: ConnectorContext, writer: EventWriter, incident: str
) -> None:
    with holding_the_write_lock(connector_context):
        future = writer.submit(_event(incident, "case-a", 1), "integration")
        time.sleep(0.3)
        assert not future.done()
    assert future.result(timeout=30) is True
    assert _count(connector_context, CaseEvent, case_id="case-a") == 1


def test_an_event_id_reused_for_another_event_is_refused_without_effect(
    connector_context: ConnectorContext, writer: EventWriter, incident: str
) -> None:
    first = _event(incident, "case-a", 1)
    assert writer.submit(first, "integration").result(timeout=30) is True
    reused = Event(first.id, 1, "case.created", "case-b", "CS2", incident, first.occurred_at, first.data)
    assert _outcome(writer.submit(reused, "integration")) is Conflict
    assert _count(connector_context, SupportCase, case_id="case-b") == 0
    assert _count(connector_context, JournalEntry, element_id=incident) == 1
