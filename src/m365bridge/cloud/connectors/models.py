"""Tokens the support service holds for calling connectors, cached per repository."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.cloud.db import Base
from m365bridge.shared.orm import UTCDateTime


class ConnectorTokenState(Base):
    """The tokens the support service holds for one repository, encrypted at rest.

    Basic Auth keeps the ServiceNow access and refresh tokens and when the refresh token was issued (the
    repository's "Refresh token expiry" counts from then); AAD Auth keeps only an access token.
    """

    __tablename__ = "support_connector_tokens"

    repository_pk: Mapped[str] = mapped_column(
        ForeignKey("support_repositories.id", ondelete="CASCADE"), primary_key=True
    )
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    refresh_issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
