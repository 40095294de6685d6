"""All SQL of the knowledge base, including its full-text search (migration 0004_kb_search_index made the
index: an FTS5 table on SQLite, a tsvector column on PostgreSQL; both are kept in step by the database)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from m365bridge.cloud.knowledge.models import Article, Embedding

# Keys per IN (...) list: well below SQLite's and PostgreSQL's bound-parameter limits.
_IN_CHUNK = 500
# Field weights of the lexical score, in the FTS5 table's column order (title, description, headings,
# body, keywords): the in-memory BM25F's weights, which FTS5's bm25() applies per column.
FTS5_WEIGHTS = (3.0, 2.0, 1.0, 0.3, 1.0)
# PostgreSQL's ts_rank weights by label {D, C, B, A}: body, headings/keywords, description, title.
TSRANK_WEIGHTS = "{0.1, 0.33, 0.67, 1.0}"

# Built from the constants above only; every value the caller gives is a bound parameter.
_SQLITE_SEARCH = text(
    f"""SELECT a.id, -bm25(kb_article_fts, {", ".join(map(str, FTS5_WEIGHTS))}) AS score, e.vector
    FROM kb_article_fts JOIN kb_article AS a ON a.rowid = kb_article_fts.rowid
    LEFT JOIN kb_embedding AS e ON e.digest = a.embedding_digest
    WHERE kb_article_fts MATCH :match AND (a.public OR a.tenant_id = :tenant)
    ORDER BY score DESC, a.id LIMIT :limit"""  # noqa: S608
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

    def lexical_search(
        self, words: Sequence[str], *, tenant_id: str | None, limit: int
    ) -> list[tuple[str, float, bytes | None]]:
        """The ``limit`` best articles ``tenant_id`` may see (public ones, plus its own) that hold any of
        ``words``, as (id, score, stored vector or None) best first; higher scores are better. ``words``
        are plain words (letters and digits): each is passed as a quoted FTS5 string or its own bound
        tsquery, never as syntax."""
        if not words:
            return []
        if self.session.get_bind().dialect.name == "sqlite":
            match = " OR ".join('"' + word.replace('"', '""') + '"' for word in words)
            rows = self.session.execute(_SQLITE_SEARCH, {"match": match, "tenant": tenant_id, "limit": limit})
        else:
            # Placeholder names and the weights constant go into the text; the words are bound.
            names = [f"w{position}" for position in range(len(words))]
            query = " || ".join(f"plainto_tsquery('english', :{name})" for name in names)
            statement = text(
                f"""SELECT a.id, ts_rank('{TSRANK_WEIGHTS}', a.search_vector, q.query) AS score, e.vector
                FROM kb_article AS a CROSS JOIN (SELECT {query} AS query) AS q
                LEFT JOIN kb_embedding AS e ON e.digest = a.embedding_digest
                WHERE a.search_vector @@ q.query AND (a.public OR a.tenant_id = :tenant)
                ORDER BY score DESC, a.id LIMIT :limit"""  # noqa: S608
            )
            parameters: dict[str, Any] = dict(zip(names, words, strict=True))
            rows = self.session.execute(statement, {**parameters, "tenant": tenant_id, "limit": limit})
        return [(row.id, float(row.score), row.vector) for row in rows]

    def term_documents(self, stems: Collection[str]) -> dict[str, int] | None:
        """How many articles hold each of ``stems`` (FTS5's Porter stems; absent: not counted at the last
        import), or None where the database keeps no such counts (PostgreSQL)."""
        if self.session.get_bind().dialect.name != "sqlite":
            return None
        if not stems:
            return {}
        query = text("SELECT term, docs FROM kb_article_fts_terms WHERE term IN :stems").bindparams(
            bindparam("stems", expanding=True)
        )
        return {row.term: int(row.docs) for row in self.session.execute(query, {"stems": list(stems)})}

    def term_counts_are_stale(self, tolerance: float) -> bool:
        """Whether the article count moved by more than ``tolerance`` (a share) since the term counts were
        taken (SQLite only; they are stored with the count of articles they were taken over, term '')."""
        if self.session.get_bind().dialect.name != "sqlite":
            return False
        articles = int(self.session.scalar(select(func.count()).select_from(Article)) or 0)
        counted = self.session.scalar(text("SELECT docs FROM kb_article_fts_terms WHERE term = ''"))
        return counted is None or abs(articles - int(counted)) > tolerance * max(int(counted), 1)

    def refresh_term_documents(self) -> None:
        """Recount every indexed term's articles (after an import; SQLite only). Reading them back from
        FTS5 walks the whole index: about a second per 25,000 articles."""
        if self.session.get_bind().dialect.name == "sqlite":
            self.session.execute(text("DELETE FROM kb_article_fts_terms"))
            self.session.execute(
                text(
                    "INSERT INTO kb_article_fts_terms (term, docs) SELECT term, doc FROM kb_article_fts_vocab"
                )
            )
            self.session.execute(
                text("INSERT INTO kb_article_fts_terms (term, docs) SELECT '', count(*) FROM kb_article")
            )

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

    def iter_for_index(self) -> Iterator[Any]:
        """Every article's searchable fields (named rows: id, tenant_id, public, title, description,
        headings, body_text, services, source_url, attribution, updated_at, vector), without loading whole
        ORM objects; ``vector`` is the stored embedding's bytes, None for an article not yet encoded. The
        benchmarks build their in-memory reference rankers from it."""
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
        yield from self.session.execute(query)

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
