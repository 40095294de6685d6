"""API shapes of the recommended-solutions search and the article endpoint."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class SolutionSearch(BaseModel):
    text: str = Field(min_length=1, max_length=4000, description="Incident text or search words.")
    top: int = Field(10, ge=1, le=50, description="How many articles to return at most.")


class SolutionOut(BaseModel):
    id: str
    title: str
    summary: str
    link: str
    score: float
    passage: str = Field(description="The passage of the article that matched the text best.")
    attribution: str | None = None
    updated_at: dt.datetime


class SolutionsOut(BaseModel):
    value: list[SolutionOut]
    public_only: bool = Field(description="True when answered without a token: public articles only.")


class ArticleOut(BaseModel):
    id: str
    title: str
    description: str
    body: str = Field(description="Markdown.")
    services: list[str]
    link: str
    attribution: str | None
    public: bool
    updated_at: dt.datetime
