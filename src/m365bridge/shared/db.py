"""Engine and session plumbing used by both sides, each with its own database."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from m365bridge.shared.private_files import private_dir


def create_db_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL and a busy timeout so concurrent writers wait instead of failing."""
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        if not in_memory:
            _ensure_sqlite_parent(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS},
            poolclass=StaticPool if in_memory else None,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; take control of it.
        event.listen(engine, "begin", _sqlite_begin)
        # Whichever comes first ends a writer's turn; checkin also covers a connection invalidated mid-write.
        event.listen(engine, "commit", _end_turn)
        event.listen(engine, "rollback", _end_turn)
        event.listen(engine.pool, "checkin", _end_turn_at_checkin)
        # This process's writers queue here (see ``_sqlite_begin``); an execution option, so engines derived
        # with execution_options() share it and it survives dispose().
        engine.update_execution_options(**{_QUEUE: threading.Lock()})
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def ping(engine: Engine) -> None:
    """One trivial round trip; raises whatever the driver raises when the database cannot answer."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


_QUEUE = "m365bridge_write_queue"
BUSY_TIMEOUT_SECONDS = 30
_TURN = "m365bridge_write_turn"  # in a pooled connection's record_info while it holds its engine's lock


def _ensure_sqlite_parent(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path:
        private_dir(Path(path).parent)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.close()


# Execution options for a session that will write: on SQLite its transaction starts with BEGIN IMMEDIATE.
_BEGIN = "m365bridge_begin"
WRITE_INTENT = {_BEGIN: "IMMEDIATE"}


def _sqlite_begin(connection: Connection) -> None:
    """BEGIN, or, for a connection marked with ``WRITE_INTENT``, a turn on the write lock and BEGIN IMMEDIATE.

    A deferred transaction that reads first and writes later fails at once with "database is locked"
    in WAL mode when another writer committed after its read, whatever the busy timeout. IMMEDIATE takes
    SQLite's write lock up front, so writers wait their turn instead (up to the busy timeout).

    Before that, this process's writers queue on a lock of their own: SQLite's busy handler polls with
    growing sleeps (up to 100 ms), is unfair, and holds a pooled connection while it waits; the lock hands
    the database over without sleeps, in roughly arrival order. Other processes still meet busy_timeout.
    Never hold a turn across an outbound HTTP call: a party that calls back (Test connection), or the
    outbound HTTP log, would wait for it.
    """
    options = connection.get_execution_options()
    if options.get(_BEGIN) != WRITE_INTENT[_BEGIN]:
        connection.exec_driver_sql("BEGIN")
        return
    lock = options[_QUEUE]
    if not lock.acquire(timeout=BUSY_TIMEOUT_SECONDS):
        # What SQLite itself says after busy_timeout (a writer of this process held its turn that long),
        # as SQLAlchemy wraps it, so callers that tolerate a locked database catch this too.
        locked = sqlite3.OperationalError("database is locked (this process's write queue did not move)")
        raise OperationalError("BEGIN IMMEDIATE", None, locked)
    _record_info(connection)[_TURN] = lock
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _end_turn(connection)
        raise


def _record_info(connection: Connection) -> dict[Any, Any]:
    """The pooled connection's record_info: it outlives invalidation, so checkin still finds the turn."""
    info = connection.connection.record_info
    assert info is not None, "a pooled connection always has its record"
    return info


def _end_turn(connection: Connection) -> None:
    _release_turn(_record_info(connection))


def _end_turn_at_checkin(_dbapi_connection: Any, record: Any) -> None:
    _release_turn(record.record_info)


def _release_turn(record_info: dict[Any, Any]) -> None:
    lock = record_info.pop(_TURN, None)
    if lock is not None:
        lock.release()


def intend_to_write(session: Session) -> Session:
    """Mark a fresh session's transaction as a writer (see ``WRITE_INTENT``); a no-op off SQLite.

    It begins the transaction at once, so call it before the session's first statement, never around an
    outbound HTTP call.
    """
    session.connection(execution_options=WRITE_INTENT)
    return session


def lazy_writer(factory: sessionmaker[Session]) -> Session:
    """A session whose transaction, once its first statement runs, is a writer (see ``WRITE_INTENT``).

    For request sessions of endpoints that may write: an endpoint that calls out over HTTP first and
    touches the session only afterwards takes no write lock during the call.
    """
    engine = factory.kw["bind"]
    return factory(bind=engine.execution_options(**WRITE_INTENT))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session], *, write: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error. Jobs and CLI commands use this.

    ``write=True`` for every unit that writes: on SQLite its first statement takes the write lock (see
    ``WRITE_INTENT``), so it waits its turn instead of failing when it read before another writer
    committed; PostgreSQL ignores it. Never call out over HTTP inside a writing unit once it has run a
    statement; a unit that only reads needs no ``write``.
    """
    yield from unit_of_work(_new_session(factory, write=write))


def _new_session(factory: sessionmaker[Session], *, write: bool) -> Session:
    return lazy_writer(factory) if write else factory()


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def unit_of_work(session: Session) -> Iterator[Session]:
    """Yield ``session``, then commit; roll back on any error; close it either way (a job's ``transaction``,
    or a request's session as a FastAPI dependency)."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def request_session(factory: sessionmaker[Session], method: str) -> Iterator[Session]:
    """The unit of work of a request with this HTTP method.

    A request that may change something (any method but GET, HEAD, OPTIONS) gets a writer: on SQLite its
    transaction takes the write lock at its first statement, so reading and then writing while a
    background job commits waits its turn instead of failing with "database is locked". An endpoint
    that calls out over HTTP touches its session only after the call (``lazy_writer``).
    """
    yield from unit_of_work(_new_session(factory, write=method not in READ_ONLY_METHODS))
