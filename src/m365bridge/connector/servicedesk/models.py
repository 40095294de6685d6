"""The outbox of a remote service desk: writes recorded in the feature's transaction, delivered after it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.connector.db import Base
from m365bridge.shared.orm import UTCDateTime, utcnow

WORK_NOTE = "work_note"
CREATE = "create"
RESOLVE = "resolve"


class DeskWrite(Base):
    """One write for the desk. ``key`` is the writer's idempotency key, so recording a write twice keeps
    one row; ``attempts`` counts calls begun, so a delivery that finds it above zero first asks the desk
    whether the earlier call landed."""

    __tablename__ = "x_mioms_m365_assis_desk_outbox"
    __table_args__ = (Index("ix_desk_outbox_due", "delivered_at", "failed", "due_at"),)

    # Recording order, which delivery keeps (a case's notes arrive in the order its events did).
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    operation: Mapped[str] = mapped_column(String(20))  # WORK_NOTE | CREATE | RESOLVE
    incident_sys_id: Mapped[str] = mapped_column(String(32), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # What the desk answered, when it matters: the created incident's {"sys_id", "number"}.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
