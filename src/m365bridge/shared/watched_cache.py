"""A small per-process cache of values read from some tables, dropped whenever this process writes to them.

Hot request paths (the inbound Endpoint's authentication and setup gate) read the same few rows on every
call. A ``WatchedCache`` keeps such derived values, each until its own deadline and at most ``ttl`` seconds;
every ORM flush, bulk UPDATE/DELETE, and commit in this process that touches one of the watched tables clears
it (at the flush, and again after the commit, so a reader between the two cannot keep the old rows). Writes
by another process (a CLI command against the same database) take effect within ``ttl``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar
from weakref import WeakSet

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

V = TypeVar("V")
_WATCHING: WeakSet[WatchedCache[Any]] = WeakSet()
_DIRTY_KEY = "m365bridge.watched_tables"


class WatchedCache(Generic[V]):
    def __init__(self, tables: Iterable[str], *, ttl: float, max_entries: int = 1000) -> None:
        self.tables = frozenset(tables)
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[Any, tuple[V, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0
        _WATCHING.add(self)

    def get_or_load(self, key: Any, load: Callable[[], tuple[V, float | None]]) -> V:
        """The cached value of ``key``, or ``load()``'s value (kept until the deadline it returns, a
        ``time.time()``, capped at ``ttl``; ``None``: do not keep it)."""
        now = time.time()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[1] > now:
                return entry[0]
            generation = self._generation
        value, deadline = load()
        if deadline is not None:
            self._put(key, value, min(deadline, now + self.ttl), generation)
        return value

    def peek(self, key: Any) -> V | None:
        """The cached value of ``key`` if present and not expired, else ``None``; never loads (for callers
        on an event loop, which must not wait for the database)."""
        with self._lock:
            entry = self._entries.get(key)
        return entry[0] if entry is not None and entry[1] > time.time() else None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def _put(self, key: Any, value: V, deadline: float, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return  # a watched table changed while loading: the value may be stale
            self._entries[key] = (value, deadline)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def _touched(tables: set[str]) -> None:
    for cache in list(_WATCHING):
        if cache.tables & tables:
            cache.clear()


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    tables = {
        table.name
        for instance in (*session.new, *session.dirty, *session.deleted)
        for table in getattr(type(instance), "__mapper__").tables  # noqa: B009
    }
    if tables:
        session.info.setdefault(_DIRTY_KEY, set()).update(tables)
        _touched(tables)


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        name = getattr(table, "name", None)
        if isinstance(name, str):
            state.session.info.setdefault(_DIRTY_KEY, set()).add(name)
            _touched({name})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    tables = session.info.pop(_DIRTY_KEY, None)
    if tables:
        _touched(tables)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_DIRTY_KEY, None)
