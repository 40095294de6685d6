"""Recommended solutions: rank the knowledge base for a text, honouring who may see which article.

Two rankers are fused. The database's full-text index (FTS5's bm25() over the article's fields with
BM25F's field weights on SQLite, ts_rank over a weighted tsvector on PostgreSQL; repository.py) proposes
the best ``CANDIDATES`` articles the caller may see that hold any word of the query; each candidate's
stored embedding is then read by id and compared with the query's (what it means, in other words). The
fused score is ``FUSION_WEIGHT`` times the lexical score divided by the query's best one, plus the rest
times the cosine. The weight was chosen on the tuning fold of the held-out set (bench/heldout.py;
docs/performance.md), never on the fold that is reported.

Nothing is held in memory between searches and nothing is built at start-up: the index lives in the
database, which every cloud process shares and every article write keeps in step (triggers on SQLite, a
generated column on PostgreSQL), so an import by the CLI is seen by a running server at once. Article
vectors are read as they were stored at import; nothing is encoded but the query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.knowledge import semantic
from m365bridge.cloud.knowledge.repository import ArticleRepository
from m365bridge.shared.errors import UserError
from m365bridge.shared.ranking import passage_for, query_words

MAX_QUERY_CHARS = 4000
# Distinct words of a query sent to the index: a pasted log must not become a thousand-term query.
MAX_QUERY_WORDS = 64
CANDIDATES = 200
FUSION_WEIGHT = 0.7  # of the lexical score; the rest is the cosine. Tuned on the tuning fold only.


@dataclass(frozen=True)
class Solution:
    id: str
    title: str
    summary: str
    link: str
    score: float
    passage: str
    attribution: str | None
    updated_at: dt.datetime


def article_link(context: CloudContext, article_id: str, source_url: str | None) -> str:
    return source_url or f"{context.settings.base_url}/support/v1/articles/{article_id}"


def recommend(
    context: CloudContext, session: Session, text: str, *, top: int = 10, tenant_id: str | None = None
) -> list[Solution]:
    """Ranked articles for ``text``: public ones, plus the tenant's private ones when a tenant asks."""
    text = text.strip()
    if not text:
        raise UserError("the search text is empty; describe the problem in a few words")
    if not 1 <= top <= 50:
        raise UserError("top must be between 1 and 50")
    text = text[:MAX_QUERY_CHARS]
    repository = ArticleRepository(session)
    ranked = fused_ranking(repository, text, top=top, tenant_id=tenant_id)
    listings = repository.listings([article_id for article_id, _ in ranked])
    solutions = []
    for article_id, score in ranked:
        listing = listings[article_id]
        passage = passage_for(listing.body_text, text)
        solutions.append(
            Solution(
                id=article_id,
                title=listing.title,
                summary=listing.description or passage[:300],
                link=article_link(context, article_id, listing.source_url),
                score=round(score, 4),
                passage=passage,
                attribution=listing.attribution,
                updated_at=listing.updated_at,
            )
        )
    return solutions


def fused_ranking(
    repository: ArticleRepository, text: str, *, top: int, tenant_id: str | None = None
) -> list[tuple[str, float]]:
    """The ``top`` best articles ``tenant_id`` may see, as (id, fused score), best first."""
    words = query_words(text, limit=MAX_QUERY_WORDS)
    lexical = dict(repository.lexical_search(words, tenant_id=tenant_id, limit=CANDIDATES))
    if not lexical:
        return []
    best_lexical = max(lexical.values()) or 1.0
    stored = repository.vectors_for(lexical)
    ids = list(lexical)
    missing = semantic.to_blob(np.zeros(semantic.DIMENSIONS))  # an article not encoded yet: cosine 0
    cosines = semantic.from_blobs([stored.get(article_id, missing) for article_id in ids]) @ semantic.encode(
        [text]
    )[0]
    fused = {
        article_id: FUSION_WEIGHT * lexical[article_id] / best_lexical + (1 - FUSION_WEIGHT) * float(cosine)
        for article_id, cosine in zip(ids, cosines, strict=True)
    }
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:top]
