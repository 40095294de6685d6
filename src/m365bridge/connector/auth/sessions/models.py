"""What UI sign-in stores: sessions (by digest of their cookie token) and failed logins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.connector.db import Base
from m365bridge.connector.users.models import new_sys_id
from m365bridge.shared.orm import UTCDateTime, utcnow


class UISession(Base):
    """An interactive session; the cookie holds the token, this row its SHA-256 digest."""

    __tablename__ = "ui_session"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("sys_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


ACCOUNT_LENGTH = 255


class LoginFailure(Base):
    """One failed login (UI, Basic or password grant), counted per account and per address."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_account", "account", "at"),
        Index("ix_login_failure_address", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(ACCOUNT_LENGTH))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
