"""The body of both sides' Alembic ``env.py``: online migrations only, batch mode for SQLite's ALTERs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import MetaData

from m365bridge.shared.db import create_db_engine


def run_migrations(
    context: Any, metadata: MetaData, include_object: Callable[..., bool] | None = None
) -> None:
    """``include_object``: Alembic's filter, for schema objects a side manages by hand (not in the models)."""
    url = context.config.attributes.get("database_url") or context.config.get_main_option("sqlalchemy.url")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(context, metadata, connection, include_object)
        return
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            _run(context, metadata, conn, include_object)
    finally:
        engine.dispose()


def _run(
    context: Any, metadata: MetaData, connection: Any, include_object: Callable[..., bool] | None
) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
