"""The body of both sides' Alembic ``env.py``: online migrations only, batch mode for SQLite's ALTERs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData

from m365bridge.shared.db import create_db_engine


def run_migrations(context: Any, metadata: MetaData) -> None:
    url = context.config.attributes.get("database_url") or context.config.get_main_option("sqlalchemy.url")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(context, metadata, connection)
        return
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            _run(context, metadata, conn)
    finally:
        engine.dispose()


def _run(context: Any, metadata: MetaData, connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
