"""Recommended solutions: rank the knowledge base for a text, honouring who may see which article.

Two rankers are fused. BM25F over the article's fields (the words the user typed; the memory-mapped
impact-ordered index of index.py, kept fresh by searcher.py) proposes the best ``CANDIDATES`` articles the
caller may see; each one's stored embedding (a row of the index's vector matrix) is compared with the
query's (what it means, in other words). The fused score is ``FUSION_WEIGHT`` times the lexical score
divided by the query's best one, plus the rest times the cosine. The weight was chosen on the tuning fold
of the held-out set (bench/heldout.py; docs/performance.md), never on the fold that is reported.

Each query term reads at most ``POSTINGS_DEPTH`` postings, its best ones (the lists are sorted by
contribution): that bounds a search's work at any KB size, and a posting beyond that depth adds less to
its article than any read before it. Nothing is encoded but the query; nothing is built at start-up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.knowledge import searcher, semantic
from m365bridge.cloud.knowledge.repository import ArticleRepository
from m365bridge.shared.errors import UserError
from m365bridge.shared.ranking import passage_for, query_terms

MAX_QUERY_CHARS = 4000
# Distinct terms of a query looked up: a pasted log must not become a thousand-term query.
MAX_QUERY_WORDS = 64
CANDIDATES = 200
FUSION_WEIGHT = 0.7  # of the lexical score; the rest is the cosine. Tuned on the tuning fold only.
# Postings read per query term, best first: bounds a search's work (docs/performance.md shows what a
# shallower depth costs on the tuning fold, where no list is this long).
POSTINGS_DEPTH = 5000


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
    ranked = fused_ranking(context, session, text, top=top, tenant_id=tenant_id)
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
    context: CloudContext, session: Session, text: str, *, top: int, tenant_id: str | None = None
) -> list[tuple[str, float]]:
    """The ``top`` best articles ``tenant_id`` may see, as (id, fused score), best first."""
    terms = dict(list(query_terms(text, synonyms={}).items())[:MAX_QUERY_WORDS])
    index, delta = searcher.current(context, session)
    scores = index.lexical(terms, depth=POSTINGS_DEPTH)
    docs = np.flatnonzero(scores)
    docs = docs[index.visible(docs, tenant_id)]
    if len(delta.masked):
        docs = docs[~np.isin(docs, delta.masked)]
    if len(docs) > CANDIDATES:
        docs = docs[np.argpartition(-scores[docs], CANDIDATES)[:CANDIDATES]]
    candidates = [(index.article_id(int(doc)), float(scores[doc]), int(doc)) for doc in docs]
    changed = searcher.delta_scores(index, delta, terms, tenant_id)
    ranked = sorted(
        [(article_id, score) for article_id, score, _ in candidates] + [(i, s) for i, s, _ in changed],
        key=lambda item: (-item[1], item[0]),
    )[:CANDIDATES]
    # An article deleted since the index was built is still in it: only those that exist are proposed.
    existing = ArticleRepository(session).existing([article_id for article_id, _ in ranked])
    ranked = [(article_id, score) for article_id, score in ranked if article_id in existing]
    if not ranked:
        return []
    vectors = {article_id: index.vectors[doc] for article_id, _, doc in candidates}
    vectors.update({article_id: vector for article_id, _, vector in changed})
    matrix = np.asarray([vectors[article_id] for article_id, _ in ranked], dtype=np.float32)
    cosines = matrix @ semantic.encode([text])[0]
    best_lexical = max(score for _, score in ranked) or 1.0
    fused = {
        article_id: FUSION_WEIGHT * score / best_lexical + (1 - FUSION_WEIGHT) * float(cosine)
        for (article_id, score), cosine in zip(ranked, cosines, strict=True)
    }
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:top]
