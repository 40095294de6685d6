"""A person in the cloud's directory, their signed-in UI sessions, and recent failed sign-ins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.cloud.db import Base
from m365bridge.shared.orm import UTCDateTime, new_uuid, utcnow


class DirectoryUser(Base):
    __tablename__ = "directory_users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    # Support engineers belong to Microsoft, not to a customer tenant: their tenant is empty.
    tenant_id: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    # Comma-separated role names; a handful per person, always read whole.
    roles_text: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r for r in self.roles_text.split(",") if r)


class UISession(Base):
    """A browser session: the cookie carries a random token, the row keeps only its digest."""

    __tablename__ = "directory_ui_sessions"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("directory_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginFailure(Base):
    """One failed sign-in (portal page or admin API Basic), counted by ``directory.throttle``."""

    __tablename__ = "directory_login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(320), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
