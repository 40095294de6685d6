"""All SQL of key rotation: reading and rewriting one encrypted column, whatever table it sits in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Table, select, update
from sqlalchemy.orm import Session


def encrypted_values(session: Session, table: Table, column: Column[Any]) -> Sequence[tuple[Any, ...]]:
    """Every non-null value of ``column`` as ``(*primary key, value)``."""
    primary_key = list(table.primary_key.columns)
    return [tuple(row) for row in session.execute(select(*primary_key, column).where(column.is_not(None)))]


def replace_value(
    session: Session, table: Table, column: Column[Any], ids: Sequence[Any], value: str
) -> None:
    primary_key = list(table.primary_key.columns)
    condition = [key == ident for key, ident in zip(primary_key, ids, strict=True)]
    session.execute(update(table).where(*condition).values({column.name: value}))
