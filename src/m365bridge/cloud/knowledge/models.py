"""Knowledge-base articles and their search vectors. Public articles serve every caller; a tenant's private
ones only that tenant."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.cloud.db import Base
from m365bridge.shared.orm import UTCDateTime, utcnow


class Article(Base):
    __tablename__ = "kb_article"

    # Stable id: for imported folders the file's path below the import root, posix, without ".md".
    id: Mapped[str] = mapped_column(String(400), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True, default=None)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")  # markdown, for display
    # Derived at import so the search index never re-parses markdown: plain text and headings.
    body_text: Mapped[str] = mapped_column(Text, default="")
    headings: Mapped[str] = mapped_column(Text, default="")
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    source_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    attribution: Mapped[str | None] = mapped_column(String(500), default=None)
    content_hash: Mapped[str] = mapped_column(String(64))
    # The key of the article's vector in kb_embedding (semantic.digest of what was encoded); set at import.
    embedding_digest: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_kb_article_updated_at", "updated_at"),)


class Embedding(Base):
    """One stored vector (float16 bytes) per distinct encoded text: articles with the same text share it,
    and an article whose text did not change keeps its vector through a re-import."""

    __tablename__ = "kb_embedding"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
