"""What a running connector holds: settings, its database, its secret box. Built once by the app factory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared import migrate
from m365bridge.shared.db import create_db_engine, request_session, session_factory
from m365bridge.shared.metrics import Metrics
from m365bridge.shared.secretbox import SecretBox

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class ConnectorContext:
    settings: ConnectorSettings
    engine: Engine
    sessions: sessionmaker[Session]
    secrets: SecretBox
    # Per-process caches and clients that features attach by name (token caches, HTTP clients ...).
    extras: dict[str, Any] = field(default_factory=dict)
    # This instance's Prometheus registry; features add gauges and counters to it (shared/metrics.py).
    metrics: Metrics = field(default_factory=lambda: Metrics("m365bridge_connector"))

    @classmethod
    def build(cls, settings: ConnectorSettings, *, migrate_db: bool = True) -> ConnectorContext:
        if migrate_db:
            migrate.upgrade(MIGRATIONS, settings.db_url)
        engine = create_db_engine(settings.db_url)
        keys = settings.encryption_keys or SecretBox.from_key_file(settings.key_file).keys
        return cls(
            settings=settings, engine=engine, sessions=session_factory(engine), secrets=SecretBox(keys)
        )

    def close(self) -> None:
        self.engine.dispose()


def get_context(request: Request) -> ConnectorContext:
    return request.app.state.context


def get_session(request: Request) -> Iterator[Session]:
    """A session per request; the request boundary commits, services never do.

    Declare it as ``Depends(get_session, scope="function")``: with FastAPI's default request scope the
    commit would run after the response is sent, so a client could get its answer before the change is
    stored (or never stored, if the commit then fails).
    A request of any method but GET, HEAD, OPTIONS gets a writer (``shared.db.request_session``).
    """
    yield from request_session(get_context(request).sessions, request.method)


@contextmanager
def cli_context(data_dir: Path | None) -> Iterator[ConnectorContext]:
    """A context for one CLI command (migrated database, keys), closed when the command ends."""
    settings = ConnectorSettings(data_dir=data_dir) if data_dir else ConnectorSettings()
    context = ConnectorContext.build(settings)
    try:
        yield context
    finally:
        context.close()
