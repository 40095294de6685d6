"""Imports every model module of the connector so that Alembic and ``create_all`` see the whole schema."""

from m365bridge.connector.db import Base

__all__ = ["Base"]
