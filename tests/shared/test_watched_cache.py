"""The per-process cache of values read from tables: reused until its deadline, dropped on writes."""

from __future__ import annotations

import time

from sqlalchemy import String, create_engine, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from m365bridge.shared.watched_cache import WatchedCache


class Base(DeclarativeBase):
    pass


class Watched(Base):
    __tablename__ = "watched_row"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


class Other(Base):
    __tablename__ = "other_row"
    id: Mapped[int] = mapped_column(primary_key=True)


def _session() -> Session:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    session = Session(engine)
    session.add(Watched(id=1, name="first"))
    session.commit()
    return session


def _reader(session: Session, loads: list[str]):
    def load() -> tuple[str, float]:
        name = session.get(Watched, 1, populate_existing=True).name
        loads.append(name)
        return name, time.time() + 60

    return load


def test_a_value_is_reused_until_a_watched_table_changes() -> None:
    session, loads = _session(), []
    cache = WatchedCache[str](["watched_row"], ttl=60)
    assert cache.get_or_load("k", _reader(session, loads)) == "first"
    assert cache.get_or_load("k", _reader(session, loads)) == "first"
    session.get(Watched, 1).name = "second"
    session.commit()
    assert cache.get_or_load("k", _reader(session, loads)) == "second"
    assert loads == ["first", "second"]


def test_a_bulk_update_drops_the_cache() -> None:
    session, loads = _session(), []
    cache = WatchedCache[str](["watched_row"], ttl=60)
    cache.get_or_load("k", _reader(session, loads))
    session.execute(update(Watched).values(name="bulk"))
    session.commit()
    assert cache.get_or_load("k", _reader(session, loads)) == "bulk"


def test_writes_to_other_tables_keep_the_cache() -> None:
    session, loads = _session(), []
    cache = WatchedCache[str](["watched_row"], ttl=60)
    cache.get_or_load("k", _reader(session, loads))
    session.add(Other(id=1))
    session.commit()
    cache.get_or_load("k", _reader(session, loads))
    assert loads == ["first"]


def test_a_value_expires_after_the_ttl() -> None:
    session, loads = _session(), []
    cache = WatchedCache[str](["watched_row"], ttl=0.01)
    cache.get_or_load("k", _reader(session, loads))
    time.sleep(0.02)
    cache.get_or_load("k", _reader(session, loads))
    assert loads == ["first", "first"]


def test_a_value_without_a_deadline_is_not_kept() -> None:
    cache = WatchedCache[str](["watched_row"], ttl=60)
    calls: list[int] = []

    def refuse() -> tuple[str, None]:
        calls.append(1)
        return "refused", None

    cache.get_or_load("k", refuse)
    cache.get_or_load("k", refuse)
    assert len(calls) == 2
