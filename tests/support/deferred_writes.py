"""Catch breaches of the SQLite writer rule (docs/architecture.md): a unit of work that writes must be a
writer from its first statement. A deferred transaction that reads and then writes fails at once with
"database is locked" when another writer committed in between, whatever the busy timeout.

``recording_deferred_writes()`` lists every INSERT, UPDATE or DELETE run, while it is open, in a deferred
SQLite transaction after that transaction has read, with the frames that ran it. Wrap only the product call
under test: tests' own set-up may call services in plain units, since nothing else writes meanwhile.

Also a pytest plugin for an audit of the whole suite, writing one line per breach to ``$DEFERRED_WRITES_LOG``:

    DEFERRED_WRITES_LOG=/tmp/deferred.log PYTHONPATH=. pytest -p tests.support.deferred_writes tests/connector
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from m365bridge.shared.db import WRITE_INTENT

_BEGIN_OPTION, _IMMEDIATE = next(iter(WRITE_INTENT.items()))
_READ = "deferred_writes.read"
_WRITES = ("INSERT", "UPDATE", "DELETE")


def _frames() -> list[str]:
    """The stack's frames in product or test code, innermost first."""
    stack = traceback.extract_stack()
    ours = [f for f in stack if "/src/m365bridge/" in f.filename or "/tests/" in f.filename]
    ours = [f for f in ours if not f.filename.endswith("support/deferred_writes.py")]
    return [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in ours[::-1]]


def _make_listeners(sink: list[str]) -> tuple[Any, Any]:
    """A fresh pair per recording, so recordings can nest (the plugin's, a test's) and leave separately."""

    def on_begin(connection: Connection) -> None:
        connection.info[_READ] = False

    def before_cursor_execute(connection: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if connection.dialect.name != "sqlite":
            return
        words = statement.split(None, 1)
        verb = words[0].upper() if words else ""
        if verb in ("SELECT", "WITH"):
            connection.info[_READ] = True
        elif (
            verb in _WRITES
            and connection.info.get(_READ)
            and connection.get_execution_options().get(_BEGIN_OPTION) != _IMMEDIATE
        ):
            sink.append(f"{statement.split(chr(10))[0][:70]}  <-  {' < '.join(_frames()[:5])}")

    return on_begin, before_cursor_execute


@contextmanager
def recording_deferred_writes() -> Iterator[list[str]]:
    breaches: list[str] = []
    on_begin, listener = _make_listeners(breaches)
    event.listen(Engine, "begin", on_begin)
    event.listen(Engine, "before_cursor_execute", listener)
    try:
        yield breaches
    finally:
        event.remove(Engine, "before_cursor_execute", listener)
        event.remove(Engine, "begin", on_begin)


def pytest_configure(config: Any) -> None:  # the plugin form: log every breach of the whole run
    log = os.environ.get("DEFERRED_WRITES_LOG")
    if not log:
        return
    manager = recording_deferred_writes()
    breaches = manager.__enter__()

    def flush() -> None:
        manager.__exit__(None, None, None)
        with open(log, "a") as file:
            file.writelines(line + "\n" for line in breaches)

    config.add_cleanup(flush)
