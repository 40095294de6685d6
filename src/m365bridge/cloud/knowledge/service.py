"""Recommended solutions: rank the knowledge base for a text, honouring who may see which article.

Two rankers are fused. The database's full-text index (FTS5's bm25() over the article's fields with
BM25F's field weights on SQLite, ts_rank over a weighted tsvector on PostgreSQL; repository.py) proposes
the best ``CANDIDATES`` articles the caller may see that hold any word of the query, each with its stored
embedding (the same statement), which is compared with the query's (what it means, in other words). The
fused score is ``FUSION_WEIGHT`` times the lexical score divided by the query's best one, plus the rest
times the cosine. The weight was chosen on the tuning fold of the held-out set (bench/heldout.py;
docs/performance.md), never on the fold that is reported.

FTS5 scores every article that holds any searched word, row by row, so a query's most common words (the
longest posting lists) are left out: words are searched rarest first while their articles add up to at
most ``POSTINGS_BUDGET`` (the rarest is always searched). That bounds how many articles a search scores
at any KB size; a common word adds little to BM25 anyway (small idf), and the cosine still sees the whole
query.

Nothing is held in memory between searches and nothing is built at start-up: the index lives in the
database, which every cloud process shares and every article write keeps in step (triggers on SQLite, a
generated column on PostgreSQL), so an import by the CLI is seen by a running server at once. Article
vectors are read as they were stored at import; nothing is encoded but the query.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import numpy as np
import snowballstemmer
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
# Articles the searched words may match together (sum of their document counts). 8,000 gives back most
# of the quality on the tuning fold at about twice the FTS5 cost (docs/performance.md).
POSTINGS_BUDGET = 4000
_STEMMERS = threading.local()  # a Snowball stemmer is not safe to share between threads


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


def _porter(word: str) -> str:
    """``word`` stemmed as FTS5's porter tokenizer stems it (the same algorithm), to look up its count."""
    stemmer = getattr(_STEMMERS, "porter", None)
    if stemmer is None:
        stemmer = _STEMMERS.porter = snowballstemmer.stemmer("porter")
    return str(stemmer.stemWord(word))


def searched_words(
    repository: ArticleRepository, words: list[str], budget: int = POSTINGS_BUDGET
) -> list[str]:
    """The rarest of ``words`` whose articles add up to at most ``budget`` (at least one word)."""
    stems = {word: _porter(word) for word in words}
    counts = repository.term_documents(set(stems.values()))
    if counts is None:
        return words
    chosen: list[str] = []
    total = 0
    for word in sorted(words, key=lambda word: counts.get(stems[word], 0)):
        total += counts.get(stems[word], 0)
        if chosen and total > budget:
            break
        chosen.append(word)
    return chosen


def fused_ranking(
    repository: ArticleRepository, text: str, *, top: int, tenant_id: str | None = None
) -> list[tuple[str, float]]:
    """The ``top`` best articles ``tenant_id`` may see, as (id, fused score), best first."""
    words = searched_words(repository, query_words(text, limit=MAX_QUERY_WORDS))
    candidates = repository.lexical_search(words, tenant_id=tenant_id, limit=CANDIDATES)
    if not candidates:
        return []
    best_lexical = max(score for _, score, _ in candidates) or 1.0
    missing = semantic.to_blob(np.zeros(semantic.DIMENSIONS))  # an article not encoded yet: cosine 0
    vectors = semantic.from_blobs([vector or missing for _, _, vector in candidates])
    cosines = vectors @ semantic.encode([text])[0]
    fused = {
        article_id: FUSION_WEIGHT * score / best_lexical + (1 - FUSION_WEIGHT) * float(cosine)
        for (article_id, score, _), cosine in zip(candidates, cosines, strict=True)
    }
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:top]
