"""API shapes of the inbound allowlist."""

from __future__ import annotations

from pydantic import BaseModel


class AllowlistEntryIn(BaseModel):
    cidr: str
    description: str = ""


class AllowlistEntryOut(AllowlistEntryIn):
    id: str
