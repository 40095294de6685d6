"""Insights shown on an incident, kept so that reopening the incident shows them again, and votes on them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.connector.db import Base
from m365bridge.shared.orm import UTCDateTime, utcnow


class InsightResult(Base):
    """One answer of the Insights action or the search box: what was asked and what came back."""

    __tablename__ = "x_mioms_m365_assis_insight"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_sys_id: Mapped[str] = mapped_column(String(32), index=True)
    # The incident's number beside its sys_id: the desk's own keys, so a remote instance's incidents work too
    # (no foreign key to the built-in incident table).
    incident_number: Mapped[str] = mapped_column(String(40), default="")
    query_text: Mapped[str] = mapped_column(Text, default="")
    # "insights" (the incident's own text) or "search" (text typed in the search box).
    kind: Mapped[str] = mapped_column(String(20))
    # {"serviceHealth": [...], "solutions": [...], "warnings": [...]}, as the API answered it.
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_by: Mapped[str] = mapped_column(String(100), default="")


class InsightFeedback(Base):
    """A user's thumbs up (+1) or down (-1) on one result of an incident; a new vote replaces the old."""

    __tablename__ = "x_mioms_m365_assis_insight_feedback"
    __table_args__ = (UniqueConstraint("incident_sys_id", "result_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_sys_id: Mapped[str] = mapped_column(String(32), index=True)
    # "solution:<article id>" or "serviceHealth:<issue id>".
    result_id: Mapped[str] = mapped_column(String(300))
    user_id: Mapped[str] = mapped_column(String(32))
    vote: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
