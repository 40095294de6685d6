"""Engine and session plumbing used by both sides, each with its own database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool


def create_db_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL and a busy timeout so concurrent writers wait instead of failing."""
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        if not in_memory:
            _ensure_sqlite_parent(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if in_memory else None,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; take control of it.
        event.listen(engine, "begin", _sqlite_begin)
        _WRITE_LOCKS[engine] = threading.Lock()
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


# One per SQLite engine: this process's writers queue here (see ``write_lock``).
_WRITE_LOCKS: WeakKeyDictionary[Engine, threading.Lock] = WeakKeyDictionary()


def write_lock(engine: Engine) -> AbstractContextManager[Any]:
    """Hold while a write transaction on ``engine`` runs: a process-wide lock on SQLite, nothing elsewhere.

    SQLite admits one writer; the others wait in its busy handler, which polls with growing sleeps
    (up to 100 ms), is unfair, and meanwhile holds a pooled connection. Queueing this process's writers on
    a lock instead hands the database over without sleeps, in roughly arrival order, and keeps connections
    free for readers. Other processes still meet ``busy_timeout``. PostgreSQL locks rows itself.
    """
    return _WRITE_LOCKS.get(engine) or nullcontext()


def _ensure_sqlite_parent(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# Execution options for a session that will write: on SQLite its transaction starts with BEGIN IMMEDIATE.
WRITE_INTENT = {"m365bridge_begin": "IMMEDIATE"}


def _sqlite_begin(connection: Connection) -> None:
    """BEGIN, or BEGIN IMMEDIATE for a connection marked with ``WRITE_INTENT``.

    A deferred transaction that reads first and writes later fails at once with "database is locked"
    in WAL mode when another writer committed after its read, whatever the busy timeout; many concurrent
    read-then-write requests (inbound case events) then fail instead of queueing. IMMEDIATE takes the
    write lock up front, so they wait their turn (up to busy_timeout). Not the default: a transaction that
    holds it across an HTTP call to a party that calls back would block that call-back.
    """
    immediate = connection.get_execution_options().get("m365bridge_begin") == "IMMEDIATE"
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def intend_to_write(session: Session) -> Session:
    """Mark a fresh session's transaction as a writer (see ``WRITE_INTENT``); a no-op off SQLite."""
    session.connection(execution_options=WRITE_INTENT)
    return session


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error. Jobs and CLI commands use this."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
