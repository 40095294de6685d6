"""Imports every model module of the cloud so that Alembic and ``create_all`` see the whole schema."""

from m365bridge.cloud.db import Base
from m365bridge.cloud.identity import models as identity_models  # noqa: F401

__all__ = ["Base"]
