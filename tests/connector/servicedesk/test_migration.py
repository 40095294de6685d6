"""Revision 0003 keys stored insights, cases and auto-incident links by the incident's number too, filled
from the built-in incident table; rows whose incident is gone keep an empty number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command

from m365bridge.connector.context import MIGRATIONS
from m365bridge.shared.db import create_db_engine
from m365bridge.shared.migrate import alembic_config

KEPT = ("x_mioms_m365_assis_insight", "x_mioms_m365_assis_case", "x_mioms_m365_assis_auto_incident")


def filler(column: sa.Column[Any], n: int) -> Any:
    """Some value of the column's type, distinct per row for the unique ones."""
    python_type = column.type.python_type
    if python_type is bool:
        return False
    if python_type is int:
        return n
    if python_type is dt.datetime:
        return dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    if python_type in (dict, list):
        return {}
    return f"{n:032x}"[-(getattr(column.type, "length", None) or 32) :]


def insert(connection: sa.Connection, table: sa.Table, n: int, **values: Any) -> None:
    required = {
        c.name: filler(c, n)
        for c in table.columns
        if not c.nullable and c.server_default is None and c.autoincrement is not True
    }
    connection.execute(table.insert().values({**required, **values}))


def test_the_numbers_are_filled_from_the_built_in_incident_table(
    tmp_path: Path, new_database_url: Callable[[str], str | None]
) -> None:
    url = new_database_url("connector_0003") or f"sqlite:///{tmp_path / 'connector.db'}"
    config = alembic_config(MIGRATIONS, url)
    command.upgrade(config, "0002")  # the revision before this one
    engine = create_db_engine(url)
    try:
        tables = sa.MetaData()
        tables.reflect(engine)
        live, gone = "1" * 32, "2" * 32
        with engine.begin() as connection:
            insert(connection, tables.tables["incident"], 1, sys_id=live, number="INC0010001")
            for n, name in enumerate(KEPT):
                insert(connection, tables.tables[name], 10 + n, incident_sys_id=live)
                insert(connection, tables.tables[name], 20 + n, incident_sys_id=gone)
        command.upgrade(config, "head")
        with engine.connect() as connection:
            for name in KEPT:
                rows = connection.execute(sa.text(f"SELECT incident_sys_id, incident_number FROM {name}"))
                assert dict(rows.all()) == {live: "INC0010001", gone: ""}, name
    finally:
        engine.dispose()
