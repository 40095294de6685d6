"""All SQL of the knowledge base (the search index itself is files: index.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from m365bridge.cloud.knowledge.models import Article, Embedding

# Keys per IN (...) list: well below SQLite's and PostgreSQL's bound-parameter limits.
_IN_CHUNK = 500
_STREAM_BATCH = 1000


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

    def newest_write(self) -> dt.datetime | None:
        """When an article was last written (its index makes this a single lookup)."""
        return self.session.scalar(select(func.max(Article.updated_at)))

    def written_since(self, moment: dt.datetime) -> list[tuple[str, dt.datetime]]:
        """(id, updated_at) of every article written at or after ``moment``."""
        query = select(Article.id, Article.updated_at).where(Article.updated_at >= moment)
        return [(row.id, row.updated_at) for row in self.session.execute(query)]

    def existing(self, ids: Collection[str]) -> set[str]:
        """Which of ``ids`` are still in the knowledge base."""
        found: set[str] = set()
        chosen = list(ids)
        for start in range(0, len(chosen), _IN_CHUNK):
            part = chosen[start : start + _IN_CHUNK]
            found.update(self.session.scalars(select(Article.id).where(Article.id.in_(part))))
        return found

    def listings(self, ids: Collection[str]) -> dict[str, Any]:
        """What a result list shows of each of ``ids`` (named rows: id, title, description, body_text,
        source_url, attribution, updated_at), by id."""
        query = select(
            Article.id,
            Article.title,
            Article.description,
            Article.body_text,
            Article.source_url,
            Article.attribution,
            Article.updated_at,
        ).where(Article.id.in_(bindparam("ids", expanding=True)))
        return {row.id: row for row in self.session.execute(query, {"ids": list(ids)})} if ids else {}

    def iter_for_index(self, ids: Collection[str] | None = None) -> Iterator[Any]:
        """Every article's searchable fields (named rows: id, tenant_id, public, title, description,
        headings, body_text, services, source_url, attribution, updated_at, vector), without loading whole
        ORM objects; ``vector`` is the stored embedding's bytes, None for an article not yet encoded; only
        ``ids`` when given. The search index and the benchmarks' in-memory reference rankers read it."""
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
            Embedding.vector,
        ).outerjoin(Embedding, Embedding.digest == Article.embedding_digest)
        if ids is None:
            # Streamed in batches: a whole large KB's text must never be held at once.
            yield from self.session.execute(query.execution_options(yield_per=_STREAM_BATCH))
            return
        chosen = list(ids)
        for start in range(0, len(chosen), _IN_CHUNK):
            yield from self.session.execute(query.where(Article.id.in_(chosen[start : start + _IN_CHUNK])))

    def stored_digests(self, digests: Collection[str]) -> set[str]:
        """Which of ``digests`` already have a vector."""
        found: set[str] = set()
        chosen = list(digests)
        for start in range(0, len(chosen), _IN_CHUNK):
            part = chosen[start : start + _IN_CHUNK]
            found.update(self.session.scalars(select(Embedding.digest).where(Embedding.digest.in_(part))))
        return found

    def insert_vectors(self, vectors: Mapping[str, bytes]) -> None:
        if vectors:
            rows = [{"digest": key, "vector": value} for key, value in vectors.items()]
            self.session.execute(insert(Embedding), rows)

    def without_digest(self) -> list[Any]:
        """Articles never encoded (imported before vectors existed): named rows id, title, description."""
        query = select(Article.id, Article.title, Article.description).where(
            Article.embedding_digest.is_(None)
        )
        return list(self.session.execute(query))

    def set_digests(self, digests: Mapping[str, str]) -> None:
        if digests:
            rows = [{"id": key, "embedding_digest": value} for key, value in digests.items()]
            self.session.execute(update(Article), rows)

    def delete_unused_vectors(self) -> int:
        """Drop vectors no article points at any more (their text changed or they were removed)."""
        used = select(Article.embedding_digest).where(Article.embedding_digest.is_not(None))
        result = self.session.execute(delete(Embedding).where(Embedding.digest.not_in(used)))
        return int(getattr(result, "rowcount", 0) or 0)
