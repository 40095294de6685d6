"""Write transactions on SQLite: read-then-write never fails under a concurrent writer; turns end."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from m365bridge.shared.db import create_db_engine, lazy_writer, session_factory, transaction
from tests.support.writers import commits, committing_in_a_loop

pytestmark = pytest.mark.sqlite


@pytest.fixture
def sessions(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path}/db.sqlite")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO counter (n) VALUES (0)"))
    yield session_factory(engine)
    engine.dispose()


def _increment(sessions, **options):
    """Read the counter, then write it back plus one: the pattern that SQLite refuses when deferred."""
    with transaction(sessions, **options) as session:
        n = session.execute(text("SELECT n FROM counter")).scalar_one()
        session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})


def test_a_write_transaction_that_reads_first_waits_its_turn_instead_of_failing(sessions):
    with committing_in_a_loop(sessions):
        before = commits(sessions.kw["bind"])
        for _ in range(300):
            _increment(sessions, write=True)
        assert commits(sessions.kw["bind"]) > before, "the writer did not commit meanwhile"
    with transaction(sessions) as session:
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 300


def test_increments_from_several_threads_are_none_of_them_lost(sessions):
    def work():
        for _ in range(50):
            _increment(sessions, write=True)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    with transaction(sessions) as session:
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 200


def test_a_failed_write_transaction_ends_its_turn(sessions):
    with pytest.raises(RuntimeError), transaction(sessions, write=True):
        raise RuntimeError("the unit of work failed")
    _increment(sessions, write=True)  # would wait for the lock (and then fail) if the turn had leaked


def test_a_lazy_writer_takes_no_turn_before_its_first_statement(sessions):
    session = lazy_writer(sessions)
    try:
        # An endpoint calling out over HTTP before touching its session: others write meanwhile.
        _increment(sessions, write=True)
        n = session.execute(text("SELECT n FROM counter")).scalar_one()
        session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        session.commit()
    finally:
        session.close()
    with transaction(sessions) as check:
        assert check.execute(text("SELECT n FROM counter")).scalar_one() == 2
