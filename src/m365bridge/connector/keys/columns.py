"""Marking a column as encrypted, so that key rotation finds every secret without a list to maintain.

A feature that stores a secret declares it with ``encrypted_column()``; the column's ``info`` carries the
mark, and ``encrypted_columns(metadata)`` finds all of them across the whole schema.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, MetaData, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

ENCRYPTED = "m365bridge_encrypted"


def encrypted_column(*, nullable: bool = False) -> Mapped[Any]:
    """A text column holding a ``context.secrets.encrypt`` token (never the plain value)."""
    return mapped_column(Text, nullable=nullable, info={ENCRYPTED: True})


def encrypted_columns(metadata: MetaData) -> list[tuple[Table, Column[Any]]]:
    return [
        (table, column)
        for table in metadata.sorted_tables
        for column in table.columns
        if column.info.get(ENCRYPTED)
    ]
