"""A tenant's support integration: basic information and its repositories (connector endpoints)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.cloud.connectors.target import AAD_AUTH, BASIC_AUTH
from m365bridge.cloud.db import Base
from m365bridge.shared.orm import UTCDateTime, new_uuid, utcnow

__all__ = ["AAD_AUTH", "BASIC_AUTH", "SupportIntegration", "SupportRepository"]
DEFAULT_REFRESH_TOKEN_EXPIRY = 864000


class SupportIntegration(Base):
    __tablename__ = "support_integrations"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    support_tool: Mapped[str] = mapped_column(String(40), default="ServiceNow")
    # "Application ID to issue Auth Token": the connector's outbound app; only its tokens are accepted.
    app_id: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SupportRepository(Base):
    """Where and how the support service calls one connector back.

    Basic Auth: ``client_id``/``client_secret`` are the connector's OAuth client, ``rest_username`` and
    ``rest_password`` its integration user. AAD Auth: ``client_id``/``client_secret`` are the REST user
    app's credentials and ``token_audience`` the REST API app's App ID URI (or app id) the token is for.
    """

    __tablename__ = "support_repositories"
    __table_args__ = (UniqueConstraint("tenant_id", "repository_id", name="tenant_repository"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    repository_id: Mapped[str] = mapped_column(String(100))
    endpoint: Mapped[str] = mapped_column(String(500))
    auth_type: Mapped[str] = mapped_column(String(20))
    client_id: Mapped[str] = mapped_column(String(200), default="")
    client_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    refresh_token_expiry: Mapped[int] = mapped_column(Integer, default=DEFAULT_REFRESH_TOKEN_EXPIRY)
    rest_username: Mapped[str] = mapped_column(String(200), default="")
    rest_password_encrypted: Mapped[str | None] = mapped_column(Text)
    token_audience: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def deliverable(self) -> bool:
        """Insights-only repositories hold placeholders, not a URL: nothing can be delivered to them."""
        return "://" in self.endpoint
