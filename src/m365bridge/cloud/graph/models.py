"""Service health issues and Message Center posts, each kept per tenant.

The fields that ``$filter`` and ``$orderby`` reach are columns; the rest of a Graph resource (posts, details,
message bodies and tags) is kept as JSON, because Graph returns it whole and never queries inside it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.cloud.db import Base
from m365bridge.shared.orm import UTCDateTime


class ServiceHealthIssue(Base):
    __tablename__ = "graph_issues"
    __table_args__ = (Index("ix_graph_issues_tenant_modified", "tenant_id", "last_modified", "id"),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    service: Mapped[str] = mapped_column(String(200))
    feature: Mapped[str | None] = mapped_column(String(200))
    feature_group: Mapped[str | None] = mapped_column(String(200))
    impact_description: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(String(32), default="microsoft")
    status: Mapped[str] = mapped_column(String(64))
    is_resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    high_impact: Mapped[bool | None] = mapped_column(Boolean)
    start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_modified: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    details: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    posts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The post-incident review, served only once the status says it is published.
    incident_report: Mapped[str | None] = mapped_column(Text)


class ServiceUpdateMessage(Base):
    __tablename__ = "graph_messages"
    __table_args__ = (Index("ix_graph_messages_tenant_modified", "tenant_id", "last_modified", "id"),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(32))
    is_major_change: Mapped[bool] = mapped_column(Boolean, default=False)
    start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_modified: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    action_required_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The whole resource as Graph returns it (tags, services, body, details, viewPoint ...).
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
