"""The incident table, its journal and its number counter, shaped like ServiceNow's ``incident``,
``sys_journal_field`` and ``sys_number_counter``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.connector.db import Base, new_sys_id
from m365bridge.shared.orm import UTCDateTime, utcnow

__all__ = ["Incident", "JournalEntry", "NumberCounter", "new_sys_id"]


class Incident(Base):
    __tablename__ = "incident"

    sys_id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    short_description: Mapped[str] = mapped_column(String(160), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[int] = mapped_column(Integer, default=1, index=True)
    impact: Mapped[int] = mapped_column(Integer, default=3)
    urgency: Mapped[int] = mapped_column(Integer, default=3)
    priority: Mapped[int] = mapped_column(Integer, default=5, index=True)
    category: Mapped[str] = mapped_column(String(40), default="inquiry")
    subcategory: Mapped[str] = mapped_column(String(40), default="")
    # User references hold the referenced sys_user's sys_id, as in ServiceNow.
    caller_id: Mapped[str | None] = mapped_column(String(32), default=None)
    assignment_group: Mapped[str] = mapped_column(String(80), default="")
    assigned_to: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    opened_by: Mapped[str | None] = mapped_column(String(32), default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(32), default=None)
    closed_by: Mapped[str | None] = mapped_column(String(32), default=None)
    close_code: Mapped[str] = mapped_column(String(40), default="")
    close_notes: Mapped[str] = mapped_column(Text, default="")
    correlation_id: Mapped[str] = mapped_column(String(100), default="", index=True)
    correlation_display: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    sys_created_on: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sys_created_by: Mapped[str] = mapped_column(String(100), default="")
    sys_updated_on: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sys_updated_by: Mapped[str] = mapped_column(String(100), default="")
    sys_mod_count: Mapped[int] = mapped_column(Integer, default=0)


class JournalEntry(Base):
    """One work note or comment. ``element_id`` is the record's sys_id and ``name`` its table, so the
    journal serves any table, as ServiceNow's does; hence no foreign key."""

    __tablename__ = "sys_journal_field"
    __table_args__ = (Index("ix_sys_journal_field_record", "element_id", "element", "sys_created_on"),)

    sys_id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    name: Mapped[str] = mapped_column(String(80), default="incident")
    element_id: Mapped[str] = mapped_column(String(32))
    element: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)
    sys_created_by: Mapped[str] = mapped_column(String(100))
    sys_created_on: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class NumberCounter(Base):
    """The next number per table; incremented in place so concurrent inserts never share a number."""

    __tablename__ = "sys_number_counter"

    table: Mapped[str] = mapped_column(String(80), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(10))
    last_number: Mapped[int] = mapped_column(Integer)
    digits: Mapped[int] = mapped_column(Integer, default=7)
