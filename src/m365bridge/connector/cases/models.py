"""A Microsoft support case as the connector keeps it on an incident, its thread, and the events applied.

The cloud owns the case; these rows are the connector's copy, kept current by case events (applied exactly
once and in per-case order: ``last_sequence`` is the last sequence applied, ``case_event.id`` is unique).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.connector.db import Base, new_sys_id
from m365bridge.shared.orm import UTCDateTime, utcnow

RESOLVED = "resolved"


class SupportCase(Base):
    __tablename__ = "x_mioms_m365_assis_case"

    sys_id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    case_id: Mapped[str] = mapped_column(String(36), unique=True)
    number: Mapped[str] = mapped_column(String(40))
    incident_sys_id: Mapped[str] = mapped_column(String(32), index=True)
    # The incident's number beside its sys_id: the desk's own keys, so a remote instance's incidents work too
    # (no foreign key to the built-in incident table).
    incident_number: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(40), default="new")
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_phone: Mapped[str] = mapped_column(String(60), default="")
    preferred_contact_method: Mapped[str] = mapped_column(String(10), default="email")
    admin_email: Mapped[str] = mapped_column(String(320), default="")
    test_environment: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)


class CaseMessage(Base):
    """One entry of the case thread: an engineer's message (from events) or an agent's reply."""

    __tablename__ = "x_mioms_m365_assis_case_message"
    __table_args__ = (UniqueConstraint("case_sys_id", "client_message_id"),)

    sys_id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    case_sys_id: Mapped[str] = mapped_column(ForeignKey("x_mioms_m365_assis_case.sys_id"), index=True)
    author_kind: Mapped[str] = mapped_column(String(20))  # engineer | customer
    author: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    client_message_id: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseEvent(Base):
    """An applied case event: its unique id makes a redelivery a no-op."""

    __tablename__ = "x_mioms_m365_assis_case_event"
    __table_args__ = (UniqueConstraint("case_id", "sequence"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36))
    sequence: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
