"""Which provider-issued tokens the connector trusts: OIDC provider configurations and their entities."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from m365bridge.connector.db import Base
from m365bridge.connector.users.models import new_sys_id


class OIDCProvider(Base):
    """An OIDC provider configuration: whose tokens to trust and how to map them to a user."""

    __tablename__ = "oidc_provider"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    metadata_url: Mapped[str] = mapped_column(String(1024))
    user_claim: Mapped[str] = mapped_column(String(100), default="appid")
    user_field: Mapped[str] = mapped_column(String(30), default="user_name")
    clock_skew: Mapped[int] = mapped_column(Integer, default=300)
    # Optional second issuer, e.g. the v1 ``https://sts.windows.net/{tid}/`` next to v2 metadata.
    extra_issuer: Mapped[str | None] = mapped_column(String(1024), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    entities: Mapped[list[OIDCEntity]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", lazy="selectin"
    )


class OIDCEntity(Base):
    """An OIDC entity: accepts tokens whose audience is ``client_id`` from its provider."""

    __tablename__ = "oidc_entity"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    name: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    provider_id: Mapped[str] = mapped_column(ForeignKey("oidc_provider.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    provider: Mapped[OIDCProvider] = relationship(back_populates="entities")
