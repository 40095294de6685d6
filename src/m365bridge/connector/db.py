"""The connector's declarative base and its record keys. Its tables live in the connector's own database
only."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import DeclarativeBase

from m365bridge.shared.orm import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


def new_sys_id() -> str:
    """A ServiceNow sys_id: 32 lowercase hex characters."""
    return secrets.token_hex(16)
