"""The stored setup: one row, saved step by step, so the flow resumes where an admin left it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.connector.db import Base
from m365bridge.shared.orm import UTCDateTime, utcnow

SINGLETON_ID = 1


class SetupState(Base):
    """What the admin chose in each step; ``next_step`` is the first step not yet saved."""

    __tablename__ = "x_mioms_m365_assis_setup"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=SINGLETON_ID)
    mode: Mapped[str | None] = mapped_column(String(20), default=None)
    next_step: Mapped[int] = mapped_column(Integer, default=0)
    # The app's cross-scope access policy for reading OAuth entities (fresh installs refuse, as the original).
    oauth_entity_read_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    outbound_entity_id: Mapped[str | None] = mapped_column(String(32), default=None)
    external_oidc: Mapped[bool] = mapped_column(Boolean, default=False)
    inbound_oauth_client_id: Mapped[str | None] = mapped_column(String(32), default=None)
    oidc_entity_id: Mapped[str | None] = mapped_column(String(32), default=None)
    integration_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    repository_id: Mapped[str | None] = mapped_column(String(100), default=None)
    sso: Mapped[bool] = mapped_column(Boolean, default=False)
    admin_email: Mapped[str] = mapped_column(String(255), default="")
    test_environment: Mapped[bool] = mapped_column(Boolean, default=True)
    tenant_domain: Mapped[str] = mapped_column(String(255), default="")
    feedback_prompts: Mapped[bool] = mapped_column(Boolean, default=True)
    graph_url: Mapped[str] = mapped_column(String(500), default="")
    support_url: Mapped[str] = mapped_column(String(500), default="")
    # Test connection passed since the last change; confirmed = that plus Next on the last page.
    test_passed: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
