"""All SQL of the knowledge base."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from m365bridge.cloud.knowledge.models import Article


class ArticleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def hashes(self) -> dict[str, str]:
        """Every article's content hash by id: the importer's way to skip what has not changed."""
        return dict(self.session.execute(select(Article.id, Article.content_hash)).all())

    def insert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(Article), list(rows))

    def update_many(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(update(Article), list(rows))

    def get(self, article_id: str) -> Article | None:
        return self.session.get(Article, article_id)

    def version(self) -> tuple[int, dt.datetime | None]:
        """A cheap fingerprint of the whole KB: changes whenever an article is added, changed or removed."""
        count, newest = self.session.execute(
            select(func.count(), func.max(Article.updated_at)).select_from(Article)
        ).one()
        return int(count), newest

    def iter_for_index(self) -> Iterator[Any]:
        """What the search index reads (named rows: id, tenant_id, public, title, description, headings,
        body_text, services, source_url, attribution, updated_at), without loading whole ORM objects."""
        query = select(
            Article.id,
            Article.tenant_id,
            Article.public,
            Article.title,
            Article.description,
            Article.headings,
            Article.body_text,
            Article.services,
            Article.source_url,
            Article.attribution,
            Article.updated_at,
        )
        yield from self.session.execute(query)
