"""A connector user (ServiceNow ``sys_user``) and its granted roles (``sys_user_has_role``)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from m365bridge.connector.db import Base
from m365bridge.shared.orm import UTCDateTime, utcnow


def new_sys_id() -> str:
    return uuid.uuid4().hex


class User(Base):
    __tablename__ = "sys_user"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    # "User ID" in ServiceNow; the OIDC claim mapping compares against it by default.
    user_name: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Integration accounts: may call the REST API but never open an interactive UI session.
    web_service_access_only: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set by "Link account" when the user's Microsoft 365 admin account has another email.
    m365_admin_email: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    role_grants: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(grant.role for grant in self.role_grants)


class UserRole(Base):
    __tablename__ = "sys_user_has_role"

    user_id: Mapped[str] = mapped_column(ForeignKey("sys_user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(100), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_grants")
