"""What the authorization-code grant stores: each code, as a digest, until it is spent or expires."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.connector.db import Base
from m365bridge.connector.users.models import new_sys_id
from m365bridge.shared.orm import UTCDateTime, utcnow


class AuthorizationCode(Base):
    """A code ``/oauth_auth.do`` handed to a client's redirect URL for one user.

    It is bound to the client and the exact redirect URI, single-use (``used_at`` is claimed by one
    conditional UPDATE) and short-lived. ``family_id`` names the tokens it was exchanged for, so that a
    replayed code revokes them (RFC 6749 section 4.1.2).
    """

    __tablename__ = "oauth_auth_code"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_client.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("sys_user.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(String(1000))
    # PKCE (RFC 7636): the S256 challenge, when the client sent one.
    code_challenge: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    family_id: Mapped[str | None] = mapped_column(String(32), default=None)
