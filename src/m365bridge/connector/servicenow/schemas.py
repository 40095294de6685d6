"""Request and response bodies of the ServiceNow endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ChangeHint(BaseModel):
    """What the business rule sends: the changed incident's sys_id (32 hex characters, as ServiceNow's)."""

    model_config = ConfigDict(extra="forbid")

    sys_id: str = Field(pattern=r"^[0-9a-f]{32}$", description="The changed incident's sys_id.")


class ChangeHintAccepted(BaseModel):
    polling: bool = Field(description="Whether a poll was started by this hint.")
