"""Group commit of inbound case events: outcomes per event, nothing answered before its batch commits."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, func, select, text

from m365bridge.connector.cases import repository
from m365bridge.connector.cases.events import Event
from m365bridge.connector.cases.ingest import EventWriter
from m365bridge.connector.cases.models import CaseEvent, SupportCase
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.incidents.models import Incident, JournalEntry
from m365bridge.connector.incidents.service import SYSTEM, create_incident
from m365bridge.connector.servicedesk.builtin import BuiltinDesk
from m365bridge.connector.servicedesk.port import WorkNote
from m365bridge.connector.settings import ConnectorSettings
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
        rows = session.execute(select(SupportCase.case_id, SupportCase.last_sequence)).all()
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


def _stale_first_read(monkeypatch: pytest.MonkeyPatch, name: str, stale: Callable[[Any], Any]) -> list[int]:
    """Make the first batch's ``repository.<name>`` read stale, as if another writer committed right after
    it (the interleaving SQLite's write turn excludes and PostgreSQL allows); later reads are true.
    Returns a list that counts the reads."""
    real = getattr(repository, name)
    reads: list[int] = []

    def read(connection: Any, keys: Any) -> Any:
        reads.append(1)
        fresh = real(connection, keys)
        return stale(fresh) if len(reads) == 1 else fresh

    monkeypatch.setattr(repository, name, read)
    return reads


def test_a_batch_that_met_another_writer_is_applied_again_one_event_at_a_time(
    connector_context: ConnectorContext, writer: EventWriter, incident: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert writer.submit(_event(incident, "case-a", 1), "integration").result(timeout=30) is True
    assert writer.submit(_event(incident, "case-a", 2), "integration").result(timeout=30) is True

    def one_behind(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**row, "last_sequence": row["last_sequence"] - 1} for row in rows]

    reads = _stale_first_read(monkeypatch, "case_states", one_behind)
    late = _event(incident, "case-a", 2)  # a different event with sequence 2: the batch believes it is new
    with holding_the_write_lock(connector_context):
        futures = [
            writer.submit(late, "integration"),
            writer.submit(_event(incident, "case-b", 1), "integration"),
        ]
    # The stale plan's guarded update matched nothing: the whole batch was rolled back and each event
    # applied again on its own, where the true picture makes the first a redelivery.
    assert [_outcome(future) for future in futures] == [False, True]
    assert len(reads) == 3  # the batch, then each event alone
    assert _count(connector_context, CaseEvent, id=late.id) == 0
    assert _count(connector_context, CaseEvent) == 3
    assert _count(connector_context, JournalEntry, element_id=incident) == 3


def test_an_event_id_taken_by_another_writer_after_the_read_is_refused_on_the_retry(
    connector_context: ConnectorContext, writer: EventWriter, incident: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _event(incident, "case-a", 1)
    assert writer.submit(first, "integration").result(timeout=30) is True
    _stale_first_read(monkeypatch, "used_event_ids", lambda ids: set())  # the first read misses it
    reused = Event(first.id, 1, "case.created", "case-b", "CS2", incident, first.occurred_at, first.data)
    with holding_the_write_lock(connector_context):
        futures = [
            writer.submit(reused, "integration"),
            writer.submit(_event(incident, "case-c", 1), "integration"),
        ]
    assert [_outcome(future) for future in futures] == [Conflict, True]
    assert _count(connector_context, SupportCase, case_id="case-b") == 0
    assert _count(connector_context, SupportCase, case_id="case-c") == 1


def test_an_event_that_meets_another_writer_on_its_own_answers_409_without_effect(
    connector_context: ConnectorContext, writer: EventWriter, incident: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert writer.submit(_event(incident, "case-a", 1), "integration").result(timeout=30) is True
    real = repository.case_states

    def always_behind(connection: Any, keys: Any) -> list[dict[str, Any]]:
        return [{**row, "last_sequence": row["last_sequence"] - 1} for row in real(connection, keys)]

    monkeypatch.setattr(repository, "case_states", always_behind)
    future = writer.submit(_event(incident, "case-a", 1), "integration")
    error = future.exception(timeout=30)
    assert isinstance(error, Conflict) and "being applied; retry" in str(error)
    assert _count(connector_context, CaseEvent) == 1
    assert _count(connector_context, JournalEntry, element_id=incident) == 1


def test_two_writers_on_one_database_apply_every_event_exactly_once(
    connector_settings: ConnectorSettings, connector_context: ConnectorContext, incident: str
) -> None:
    """Two connector processes (two engines) receive the same events, as when the support service retries
    against another instance: every event lands once and every case ends at its last sequence."""
    other = ConnectorContext.build(connector_settings, migrate_db=False)
    writers = [EventWriter(connector_context.engine, max_batch=20), EventWriter(other.engine, max_batch=20)]
    cases, rounds = 12, 6
    planned = [[_event(incident, f"case-{n}", seq) for seq in range(1, rounds + 1)] for n in range(cases)]
    try:
        with ThreadPoolExecutor(8) as pool:

            def deliver(events: list[Event], index: int) -> None:
                for event in events:  # in order per case, retrying a 409 as the outbox does
                    while True:
                        error = writers[index % 2].submit(event, "integration").exception(timeout=30)
                        if error is None:
                            break
                        assert isinstance(error, Conflict), error

            copies = [(events, n + copy) for n, events in enumerate(planned) for copy in (0, 1)]
            jobs = [pool.submit(deliver, events, index) for events, index in copies]
            for job in jobs:
                job.result(timeout=120)
    finally:
        other.close()
    with transaction(connector_context.sessions) as session:
        sequences = dict(session.execute(select(SupportCase.case_id, SupportCase.last_sequence)).all())
    assert sequences == {f"case-{n}": rounds for n in range(cases)}
    assert _count(connector_context, CaseEvent) == cases * rounds
    assert _count(connector_context, JournalEntry, element_id=incident) == cases * rounds


class RecordingDesk(BuiltinDesk):
    """The built-in desk, noting each batch of work notes the writer hands the port."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def add_work_notes(self, connection: Connection, notes: Sequence[WorkNote]) -> None:
        self.batches.append([note.key for note in notes])
        super().add_work_notes(connection, notes)


def test_a_batch_writes_its_work_notes_through_the_port_at_once_and_keys_cases_by_incident_number(
    connector_context: ConnectorContext, incident: str
) -> None:
    desk = RecordingDesk()
    writer = EventWriter(connector_context.engine, max_batch=50, desk=desk)
    events = [_event(incident, "case-a", 1), _event(incident, "case-a", 2), _event(incident, "case-b", 1)]
    with holding_the_write_lock(connector_context):
        futures = [writer.submit(event, "integration") for event in events]
    assert [_outcome(future) for future in futures] == [True, True, True]
    # The first event may have been taken alone before the rest queued up behind the lock.
    assert [key for batch in desk.batches for key in batch] == [f"case-event:{event.id}" for event in events]
    assert max(len(batch) for batch in desk.batches) >= 2
    with transaction(connector_context.sessions) as session:
        number = session.get(Incident, incident).number
        rows = session.execute(select(SupportCase.incident_sys_id, SupportCase.incident_number)).all()
    assert rows == [(incident, number), (incident, number)]
