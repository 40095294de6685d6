"""Engine and session plumbing used by both sides, each with its own database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


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
