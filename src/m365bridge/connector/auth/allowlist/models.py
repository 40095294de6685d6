"""The inbound allowlist: addresses or CIDRs allowed to call the REST API when it is enforced."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.connector.db import Base
from m365bridge.connector.users.models import new_sys_id


class AllowlistEntry(Base):
    """An address or CIDR allowed to call the inbound REST API when the allowlist is enabled."""

    __tablename__ = "inbound_allowlist"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    cidr: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
