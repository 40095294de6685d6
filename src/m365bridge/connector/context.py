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
from m365bridge.shared.errors import UserError
from m365bridge.shared.metrics import Metrics
from m365bridge.shared.secretbox import SecretBox, read_keys

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
    def build(
        cls, settings: ConnectorSettings, *, migrate_db: bool = True, read_only: bool = False
    ) -> ConnectorContext:
        """``read_only``: for commands that only look (the doctor, lists): no database, key file or folder
        is created and nothing is migrated; a folder without a connector database is refused."""
        if read_only:
            require_database(settings)
        elif migrate_db:
            migrate.upgrade(MIGRATIONS, settings.db_url)
        engine = create_db_engine(settings.db_url)
        if settings.encryption_keys:
            keys = settings.encryption_keys
        else:
            keys = (
                read_keys(settings.key_file) if read_only else SecretBox.from_key_file(settings.key_file).keys
            )
        return cls(
            settings=settings, engine=engine, sessions=session_factory(engine), secrets=SecretBox(keys)
        )

    def close(self) -> None:
        self.engine.dispose()


def require_database(settings: ConnectorSettings) -> None:
    """Refuse a folder that holds no connector database (a mistyped or empty ``--data-dir``)."""
    url = settings.db_url
    if url.startswith("sqlite") and not Path(url.split("///", 1)[-1]).is_file():
        raise UserError(
            f"no connector database in {settings.data_dir}: give --data-dir the folder the connector runs "
            "with (e.g. demo-data/connector for the demo), or set M365BRIDGE_CONNECTOR_DATABASE_URL"
        )


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
def cli_context(data_dir: Path | None, *, read_only: bool = False) -> Iterator[ConnectorContext]:
    """A context for one CLI command (migrated database, keys), closed when the command ends.

    ``read_only`` commands create nothing: see ``ConnectorContext.build``.
    """
    settings = ConnectorSettings(data_dir=data_dir) if data_dir else ConnectorSettings()
    context = ConnectorContext.build(settings, read_only=read_only)
    try:
        yield context
    finally:
        context.close()
