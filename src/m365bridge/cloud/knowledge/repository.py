"""All SQL of the knowledge base."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, load_only

from m365bridge.cloud.knowledge.models import Article

SUMMARY_COLUMNS = (
    Article.id,
    Article.title,
    Article.description,
    Article.source_url,
    Article.attribution,
    Article.updated_at,
)


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

    def get_many(self, article_ids: Sequence[str]) -> dict[str, Article]:
        """The articles without their bodies (a result list never shows them), by id."""
        query = select(Article).options(load_only(*SUMMARY_COLUMNS)).where(Article.id.in_(article_ids))
        return {article.id: article for article in self.session.scalars(query)}

    def version(self) -> tuple[int, dt.datetime | None]:
        """A cheap fingerprint of the whole KB: changes whenever an article is added, changed or removed."""
        count, newest = self.session.execute(
            select(func.count(), func.max(Article.updated_at)).select_from(Article)
        ).one()
        return int(count), newest

    def iter_for_index(self) -> Iterator[Sequence[Any]]:
        """What the search index reads, without loading whole ORM objects."""
        query = select(
            Article.id,
            Article.tenant_id,
            Article.public,
            Article.title,
            Article.description,
            Article.headings,
            Article.body_text,
            Article.services,
        )
        # Rows: id, tenant_id, public, title, description, headings, body_text, services.
        yield from self.session.execute(query)
