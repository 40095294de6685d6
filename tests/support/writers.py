"""Another writer for concurrency tests: a thread committing one row at a time to the same database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from m365bridge.shared.db import intend_to_write, transaction

TICKS = "test_concurrent_ticks"


@contextmanager
def committing_in_a_loop(sessions: sessionmaker[Session]) -> Iterator[None]:
    """Commit an insert to a scratch table in a tight loop until the block ends, as the outbox worker,
    the health sync or the outbound HTTP log do in production (a writer from the start, like them)."""
    with transaction(sessions) as session:
        session.execute(text(f"CREATE TABLE IF NOT EXISTS {TICKS} (n INTEGER)"))
    started, stop = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        n = 0
        try:
            while not stop.is_set():
                with transaction(sessions) as session:
                    intend_to_write(session).execute(text(f"INSERT INTO {TICKS} (n) VALUES (:n)"), {"n": n})
                n += 1
                started.set()
                time.sleep(0.001)  # a busy writer, not a monopolist: the lock is not fair to waiters
        except BaseException as error:  # surfaced by the test below, never swallowed
            errors.append(error)
            started.set()

    thread = threading.Thread(target=run, name="test-writer", daemon=True)
    thread.start()
    try:
        assert started.wait(30), "the writer thread never committed"
        yield
    finally:
        stop.set()
        thread.join(60)
    assert not errors, f"the writer itself failed: {errors[0]!r}"


def commits(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {TICKS}")).scalar_one())
