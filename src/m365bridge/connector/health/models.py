"""Service health as synced from Graph, and the bookkeeping that makes the sync incremental and exclusive."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.connector.db import Base
from m365bridge.shared.orm import UTCDateTime, utcnow


class ServiceHealthIssue(Base):
    """A Graph ``serviceHealthIssue`` (incident or advisory), the latest version seen, with its posts."""

    __tablename__ = "service_health_issue"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    impact_description: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(60), default="")
    origin: Mapped[str] = mapped_column(String(40), default="")
    service: Mapped[str] = mapped_column(String(200), default="")
    feature: Mapped[str] = mapped_column(String(200), default="")
    feature_group: Mapped[str] = mapped_column(String(200), default="")
    is_resolved: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    start_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    end_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_modified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # [{"createdDateTime", "postType", "description": {"contentType", "content"}}] as Graph sends them.
    posts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class ServiceMessage(Base):
    """A Graph ``serviceUpdateMessage`` (Message Center post), the latest version seen."""

    __tablename__ = "service_message"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), default="")
    severity: Mapped[str] = mapped_column(String(40), default="")
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_major_change: Mapped[bool] = mapped_column(Boolean, default=False)
    body_html: Mapped[str] = mapped_column(Text, default="")
    start_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    end_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    action_required_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_modified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class SyncState(Base):
    """Per collection ("issues", "messages"): the watermark of the last complete pass."""

    __tablename__ = "service_health_sync_state"

    collection: Mapped[str] = mapped_column(String(40), primary_key=True)
    watermark: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_full_sync_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SyncLease(Base):
    """Who is syncing now; claimed by a conditional UPDATE so that only one sync runs at a time."""

    __tablename__ = "service_health_sync_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SyncRun(Base):
    __tablename__ = "service_health_sync_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    # Requests Graph refused with 429/503 (each waited for and retried, or ending the run).
    refused: Mapped[int] = mapped_column(Integer, default=0)
    issues: Mapped[int] = mapped_column(Integer, default=0)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class AutoIncidentSettings(Base):
    """Service Health page settings: whether and how to open an ITSM incident per Microsoft issue."""

    __tablename__ = "x_mioms_m365_assis_auto_incident_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    assignment_group: Mapped[str] = mapped_column(String(80), default="")
    category: Mapped[str] = mapped_column(String(40), default="")
    assigned_to: Mapped[str | None] = mapped_column(String(32), default=None)
    subcategory: Mapped[str] = mapped_column(String(40), default="")
    auto_resolve: Mapped[bool] = mapped_column(Boolean, default=False)


class AutoIncidentLink(Base):
    """The one ITSM incident of a Microsoft issue; the unique issue id makes creation insert-or-skip."""

    __tablename__ = "x_mioms_m365_assis_auto_incident"

    issue_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident_sys_id: Mapped[str] = mapped_column(String(32), unique=True)
    # The incident's number beside its sys_id: the desk's own keys, so a remote instance's incidents work too
    # (no foreign key to the built-in incident table).
    incident_number: Mapped[str] = mapped_column(String(40), default="")
    # Microsoft posts already written to the incident as work notes.
    posts_posted: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
