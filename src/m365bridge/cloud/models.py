"""Imports every model module of the cloud so that Alembic and ``create_all`` see the whole schema."""

from m365bridge.cloud.db import Base

__all__ = ["Base"]
