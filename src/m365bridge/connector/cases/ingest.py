"""Group commit for inbound case events: one writer thread applies queued events in batches.

SQLite admits one writer at a time, so concurrent requests that each open, write and commit their own
transaction only take turns, paying a thread hop, a session, ``BEGIN IMMEDIATE`` and a commit per event.
Here requests queue their events instead; the writer takes whatever has queued up (at most
``inbound_event_batch_max``) and applies it in arrival order in one transaction with ``events.apply_events``
(three reads and one executemany per table for the whole batch). A refused event (gap, unknown case, bad
data, reused id) changes nothing but its own answer. Every request learns its outcome only after the batch
has committed: nothing is acknowledged before it is stored, and if the commit fails every event of the batch
fails with it (the sender retries).

Should another writer interleave (PostgreSQL with several connector processes; SQLite's IMMEDIATE turn
excludes it), the batch is rolled back and applied again one event at a time, each in its own savepoint.
The thread starts with the first event and ends after ``IDLE_SECONDS`` without one.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy import Engine

from m365bridge.connector.cases.events import Event, Interference, Outcome, apply_events, apply_one
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicedesk import BUILTIN, desk_for
from m365bridge.connector.servicedesk.port import ServiceDesk
from m365bridge.shared.db import WRITE_INTENT
from m365bridge.shared.errors import UserError

IDLE_SECONDS = 1.0
EXTRAS_KEY = "cases.event_writer"


@dataclass
class _Queued:
    event: Event
    author: str
    outcome: Future[bool] = field(default_factory=Future)


class EventWriter:
    """Applies submitted events in batches on its own thread; ``submit`` returns the event's outcome."""

    def __init__(self, engine: Engine, *, max_batch: int, desk: ServiceDesk = BUILTIN) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.desk = desk
        self._queue: queue.SimpleQueue[_Queued] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    def submit(self, event: Event, author: str) -> Future[bool]:
        """Queue ``event``; the future holds True (applied), False (a redelivery) or the refusal
        (NotFound, Conflict, UserError), set once the batch holding it has committed."""
        queued = _Queued(event, author)
        self._queue.put(queued)
        with self._lock:
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="case-event-writer", daemon=True).start()
        return queued.outcome

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():  # a submit after this point starts a new thread
                        self._running = False
                        return
                continue
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            # A request that went away before its batch began is dropped: neither stored nor acknowledged.
            self._write([queued for queued in batch if queued.outcome.set_running_or_notify_cancel()])

    def _write(self, batch: list[_Queued]) -> None:
        if not batch:
            return
        try:
            outcomes = self._apply(batch)
        except Exception as error:  # handed to every waiting request, which answers 500
            for queued in batch:
                queued.outcome.set_exception(error)
            return
        for queued, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, UserError):
                queued.outcome.set_exception(outcome)
            else:
                queued.outcome.set_result(outcome)

    def _apply(self, batch: list[_Queued]) -> list[Outcome]:
        """The batch's outcomes, committed: all at once, or one by one after another writer interfered."""
        submitted = [(queued.event, queued.author) for queued in batch]
        with self.engine.connect() as connection:
            connection.execution_options(**WRITE_INTENT)
            try:
                with connection.begin():
                    return apply_events(connection, submitted, desk=self.desk)
            except Interference:
                pass  # rolled back; nothing of the batch was kept
            with connection.begin():
                return [apply_one(connection, event, author, desk=self.desk) for event, author in submitted]


def event_writer(context: ConnectorContext) -> EventWriter:
    """This context's writer (one per process and database)."""
    writer: EventWriter | None = context.extras.get(EXTRAS_KEY)
    if writer is None:
        settings = context.settings
        fresh = EventWriter(
            context.engine, max_batch=settings.inbound_event_batch_max, desk=desk_for(context)
        )
        writer = context.extras.setdefault(EXTRAS_KEY, fresh)
    return writer
