"""What a tenant admin sends to the Graph admin API to open, update and resolve service health issues."""

from __future__ import annotations

from pydantic import BaseModel, Field


class IssueCreate(BaseModel):
    service: str = Field(description="Service display name or id, e.g. 'Exchange Online' or 'Exchange'.")
    title: str = Field(min_length=1, max_length=500)
    impact_description: str = ""
    classification: str = Field("incident", description="incident or advisory")
    status: str = Field("investigating", description="An open status, e.g. serviceDegradation.")
    feature: str | None = None
    feature_group: str | None = None
    post: str | None = Field(None, description="The first post.")
    id: str | None = Field(None, description="The issue id; default: the service's prefix and six digits.")


class IssuePost(BaseModel):
    text: str = Field(min_length=1)
    status: str | None = Field(None, description="Move the issue to this open status.")


class IssueResolve(BaseModel):
    text: str | None = Field(None, description="The final post.")
    status: str = Field("serviceRestored", description="serviceRestored, falsePositive, resolved ...")
    incident_report: str | None = Field(None, description="A post-incident review (plain text) to publish.")
