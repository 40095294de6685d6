"""Support cases, their thread and the transactional outbox of case events."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.cloud.db import Base
from m365bridge.shared.orm import UTCDateTime, new_uuid, utcnow

STATUSES = ("new", "inProgress", "waitingOnCustomer", "resolved", "closed")

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"


class SupportCase(Base):
    __tablename__ = "support_cases"
    __table_args__ = (UniqueConstraint("tenant_id", "idempotency_key", name="tenant_idempotency"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    # Looked up by (tenant, repository id) at delivery time, so a repository re-added after a delete
    # still receives its cases' events.
    repository_id: Mapped[str] = mapped_column(String(100))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # A digest of the create request, so a reused Idempotency-Key with another body is refused.
    request_digest: Mapped[str] = mapped_column(String(64), default="")
    created_by_app_id: Mapped[str] = mapped_column(String(64), default="")
    incident_sys_id: Mapped[str] = mapped_column(String(32))
    incident_number: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_phone: Mapped[str] = mapped_column(String(60), default="")
    preferred_contact_method: Mapped[str] = mapped_column(String(20), default="email")
    admin_email: Mapped[str] = mapped_column(String(320))
    test_environment: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(30), default="new", index=True)
    # The last outbox sequence number used; bumped in the same UPDATE that reserves the next one.
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CaseMessage(Base):
    __tablename__ = "support_case_messages"
    __table_args__ = (UniqueConstraint("case_id", "client_message_id", name="case_client_message"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    case_id: Mapped[str] = mapped_column(ForeignKey("support_cases.id", ondelete="CASCADE"), index=True)
    author_kind: Mapped[str] = mapped_column(String(20))  # "customer" or "engineer"
    author: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    client_message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxEvent(Base):
    """A case event waiting for, or done with, delivery to the case's repository (connector).

    Written in the same transaction as the change it reports. Delivered strictly in ``sequence`` order per
    case: an event is due only when every earlier event of its case is delivered.
    """

    __tablename__ = "support_outbox"
    __table_args__ = (
        UniqueConstraint("case_id", "sequence", name="case_sequence"),
        Index("ix_support_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    case_id: Mapped[str] = mapped_column(ForeignKey("support_cases.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # the JSON envelope, exactly as it will be posted
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
