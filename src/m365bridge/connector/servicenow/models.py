"""The connection to a customer's ServiceNow instance: URL, how to sign in, tokens, the poll's watermark."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.connector.db import Base
from m365bridge.connector.keys.columns import encrypted_column
from m365bridge.connector.registry.models import new_sys_id
from m365bridge.shared.orm import UTCDateTime, utcnow

DEFAULT_NAME = "default"
AGENT_VIEWS = ("work_notes", "tab", "both")


class InstanceConnection(Base):
    """One instance the connector works with. Every secret and token is an encrypted column, so that key
    rotation (``connector rotate-key``) re-encrypts them with the others."""

    __tablename__ = "servicenow_instance"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    name: Mapped[str] = mapped_column(String(80), unique=True, default=DEFAULT_NAME)
    url: Mapped[str] = mapped_column(String(500))
    auth_type: Mapped[str] = mapped_column(String(40))
    user_name: Mapped[str] = mapped_column(String(200), default="")
    client_id: Mapped[str] = mapped_column(String(200), default="")
    password: Mapped[str | None] = encrypted_column(nullable=True)
    client_secret: Mapped[str | None] = encrypted_column(nullable=True)
    access_token: Mapped[str | None] = encrypted_column(nullable=True)
    access_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    refresh_token: Mapped[str | None] = encrypted_column(nullable=True)
    refresh_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    # The poll's watermark (records.Watermark): the newest sys_updated_on handled and the sys_ids handled
    # at that second; stored after every page so that a restart resumes with no gap and no repeat.
    poll_updated_on: Mapped[str] = mapped_column(String(19), default="")
    poll_sys_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Whether the connector's features use this instance as their desk, and how agents see results
    # (work_notes, tab or both); set by the setup's Service desk step.
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    agent_view: Mapped[str] = mapped_column(String(20), default="work_notes", server_default="work_notes")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
