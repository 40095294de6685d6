"""What a running side holds: settings, its database, its secret box. Built once by the side's app factory.

Each side subclasses ``ServiceContext`` with its own settings class, migrations folder and metrics prefix;
the sides never import each other, so this is the one place both share.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Self, TypeVar

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from m365bridge.shared import migrate
from m365bridge.shared.db import create_db_engine, request_session, session_factory
from m365bridge.shared.errors import UserError
from m365bridge.shared.metrics import Metrics
from m365bridge.shared.secretbox import SecretBox, read_keys
from m365bridge.shared.settings import ServiceSettings

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


@dataclass
class ServiceContext(Generic[SettingsT]):
    settings: SettingsT
    engine: Engine
    sessions: sessionmaker[Session]
    secrets: SecretBox
    # Per-process caches and clients that features attach by name (token caches, HTTP clients ...).
    extras: dict[str, Any] = field(default_factory=dict)
    # This instance's Prometheus registry; features add gauges and counters to it (shared/metrics.py).
    # Each side redeclares it with its own prefix.
    metrics: Metrics = field(default_factory=lambda: Metrics("m365bridge"))

    migrations: ClassVar[Path]

    @classmethod
    def build(cls, settings: SettingsT, *, migrate_db: bool = True, read_only: bool = False) -> Self:
        """``read_only``: for commands that only look (the doctor, lists): no database, key file or folder
        is created and nothing is migrated; a folder without the side's database is refused."""
        if read_only:
            require_database(settings)
        elif migrate_db:
            migrate.upgrade(cls.migrations, settings.db_url)
        engine = create_db_engine(settings.db_url)
        keys = settings.encryption_keys
        if not keys:
            keys = (
                read_keys(settings.key_file) if read_only else SecretBox.from_key_file(settings.key_file).keys
            )
        return cls(
            settings=settings, engine=engine, sessions=session_factory(engine), secrets=SecretBox(keys)
        )

    def close(self) -> None:
        self.engine.dispose()


def require_database(settings: ServiceSettings) -> None:
    """Refuse a folder that holds no database of this side (a mistyped or empty ``--data-dir``)."""
    url = settings.db_url
    if url.startswith("sqlite") and not Path(url.split("///", 1)[-1]).is_file():
        prefix = settings.model_config.get("env_prefix", "")
        raise UserError(
            f"no {settings.side} database in {settings.data_dir}: give --data-dir the folder the "
            f"{settings.side} runs with (e.g. demo-data/{settings.side} for the demo), or set "
            f"{prefix}DATABASE_URL"
        )


def get_session(request: Request) -> Iterator[Session]:
    """A session per request; the request boundary commits, services never do.

    Declare it as ``Depends(get_session, scope="function")``: with FastAPI's default request scope the
    commit would run after the response is sent, so a client could get its answer before the change is
    stored (or never stored, if the commit then fails).
    A request of any method but GET, HEAD, OPTIONS gets a writer (``shared.db.request_session``).
    """
    context: ServiceContext[Any] = request.app.state.context
    yield from request_session(context.sessions, request.method)
