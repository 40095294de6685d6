"""What the instance sign-in stores: the connector's OAuth client on the instance, and the instance users
who signed in (each linked to a connector user without a password)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.connector.db import Base
from m365bridge.connector.keys.columns import encrypted_column
from m365bridge.connector.users.models import new_sys_id
from m365bridge.shared.orm import UTCDateTime, utcnow


class SignInClient(Base):
    """The OAuth client registered on the instance for agents' sign-in (one row). Its secret is an
    encrypted column, so that ``connector rotate-key`` re-encrypts it with the others."""

    __tablename__ = "servicenow_signin_client"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret: Mapped[str] = encrypted_column()
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InstanceAccount(Base):
    """An instance user who signed in: keyed by the instance and the user's ``sys_id`` there, linked to the
    connector user that holds the roles mapped from the instance's at the latest sign-in."""

    __tablename__ = "servicenow_account"
    __table_args__ = (UniqueConstraint("instance_url", "instance_user_sys_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    instance_url: Mapped[str] = mapped_column(String(500))
    instance_user_sys_id: Mapped[str] = mapped_column(String(64))
    instance_user_name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(ForeignKey("sys_user.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_in_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
