"""The connector's declarative base. Its tables live in the connector's own database only."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from m365bridge.shared.orm import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
