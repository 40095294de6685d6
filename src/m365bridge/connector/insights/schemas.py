"""API shapes of the incident insights endpoints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class InsightsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    service_health: list[dict[str, Any]] = Field(
        alias="serviceHealth",
        description="Matching synced service health incidents: status, impact, scope, last and next update.",
    )
    solutions: list[dict[str, Any]] = Field(description="Recommended solutions and articles, best first.")
    warnings: list[str] = Field(
        default_factory=list,
        description="Why a part is empty when a call failed at the network level (outbound HTTP log).",
    )


class FeedbackIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    result_id: str = Field(
        alias="resultId", max_length=300, description="'solution:<article id>' or 'serviceHealth:<issue id>'."
    )
    vote: Literal["up", "down"]
