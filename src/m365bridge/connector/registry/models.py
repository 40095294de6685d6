"""Outbound OAuth providers, as ServiceNow's ``oauth_entity`` and ``oauth_entity_profile`` have them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from m365bridge.connector.db import Base
from m365bridge.connector.keys.columns import encrypted_column
from m365bridge.shared.orm import UTCDateTime, utcnow


def new_sys_id() -> str:
    return uuid.uuid4().hex


class OAuthEntity(Base):
    """An OAuth provider the connector gets tokens from (e.g. the Entra "outbound app")."""

    __tablename__ = "oauth_entity"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret: Mapped[str] = encrypted_column()
    grant_type: Mapped[str] = mapped_column(String(40))
    token_url: Mapped[str] = mapped_column(String(500))
    redirect_url: Mapped[str | None] = mapped_column(String(500))
    # Extra token-request parameters, e.g. {"resource": "https://graph.microsoft.com"}.
    extra_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    profiles: Mapped[list[OAuthEntityProfile]] = relationship(
        back_populates="entity", cascade="all, delete-orphan", order_by="OAuthEntityProfile.name"
    )


class OAuthEntityProfile(Base):
    """What setup step 1 chooses: a named way of using an entity; each entity has a default one."""

    __tablename__ = "oauth_entity_profile"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    entity_id: Mapped[str] = mapped_column(ForeignKey("oauth_entity.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    entity: Mapped[OAuthEntity] = relationship(back_populates="profiles")
