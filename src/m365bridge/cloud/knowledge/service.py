"""Recommended solutions: rank the knowledge base for a text, honouring who may see which article.

Two rankers are fused: BM25F over the article's fields (words the user typed) and the cosine of the
query's embedding with the article's stored one (what it means, in other words). Each proposes its best
``CANDIDATES`` articles; every candidate's score is ``FUSION_WEIGHT`` times its BM25F score divided by the
best BM25F score of the query, plus the rest times its cosine. The weight was chosen on the tuning fold of
the held-out set (bench/heldout.py; docs/performance.md), never on the fold that is reported.

The search index lives in memory, one per process, built on first use and rebuilt when the KB's
fingerprint (article count and newest change) moves, so an import by the CLI is seen by a running server.
Article vectors are read from the database as they were stored at import; nothing is encoded but the query.
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.knowledge import semantic
from m365bridge.cloud.knowledge.repository import ArticleRepository
from m365bridge.shared.errors import UserError
from m365bridge.shared.ranking import BM25FParameters, Ranker

INDEX_KEY = "knowledge.index"
_LOCK = threading.Lock()
MAX_QUERY_CHARS = 4000
CANDIDATES = 100
FUSION_WEIGHT = 0.7  # of BM25F; the rest is the cosine. Tuned on the tuning fold only.
# An article no query word matches is proposed only when it is this close in meaning: below it, text about
# something the KB does not cover ("zebra printer jams") would still get its nearest, unrelated articles.
# It changes nothing on the tuning fold.
SEMANTIC_FLOOR = 0.5
# shared/vocabulary.py's synonym list did not change either held-out fold's figures (docs/performance.md),
# so the articles' search does without it.
PARAMETERS = BM25FParameters(synonyms={})


@dataclass(frozen=True)
class Listing:
    """What a result list shows of an article besides its score and passage; kept in the index so that a
    search reads no article rows (the index is as fresh as these: both are rebuilt on any KB change)."""

    title: str
    description: str
    source_url: str | None
    attribution: str | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class KnowledgeIndex:
    version: tuple[int, Any]
    ranker: Ranker
    ids: list[str]  # article ids in the ranker's (and the vectors') order
    listings: list[Listing]
    public: np.ndarray  # bool per article
    tenants: np.ndarray  # owning tenant id (or None) per article
    vectors: np.ndarray  # float32 unit vectors, one row per article (zeros for one not yet encoded)

    def visible_to(self, tenant_id: str | None) -> np.ndarray:
        """Which articles ``tenant_id`` may see, as a bool per article."""
        if tenant_id is None:
            return self.public
        return self.public | (self.tenants == tenant_id)


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


def _id_words(article_id: str) -> str:
    return re.sub(r"[/_-]+", " ", article_id)


def build_index(session: Session) -> KnowledgeIndex:
    repository = ArticleRepository(session)
    version = repository.version()
    ids: list[str] = []
    listings: list[Listing] = []
    public: list[bool] = []
    tenants: list[str | None] = []
    blobs: list[bytes] = []
    documents: list[tuple[str, dict[str, str]]] = []
    missing = semantic.to_blob(np.zeros(semantic.DIMENSIONS))
    for row in repository.iter_for_index():
        ids.append(row.id)
        public.append(row.public)
        tenants.append(row.tenant_id)
        blobs.append(row.vector or missing)
        listings.append(Listing(row.title, row.description, row.source_url, row.attribution, row.updated_at))
        fields = {
            "title": row.title,
            "description": row.description,
            "headings": row.headings,
            "body": row.body_text,
            "keywords": " ".join([_id_words(row.id), *row.services]),
        }
        documents.append((row.id, fields))
    return KnowledgeIndex(
        version=version,
        ranker=Ranker(documents, parameters=PARAMETERS),
        ids=ids,
        listings=listings,
        public=np.array(public, dtype=bool),
        tenants=np.array(tenants, dtype=object),
        vectors=semantic.from_blobs(blobs),
    )


def current_index(context: CloudContext, session: Session) -> KnowledgeIndex:
    """The process's index, rebuilt first when the knowledge base changed since it was built."""
    version = ArticleRepository(session).version()
    index: KnowledgeIndex | None = context.extras.get(INDEX_KEY)
    if index is not None and index.version == version:
        return index
    with _LOCK:
        index = context.extras.get(INDEX_KEY)
        if index is None or index.version != version:
            index = build_index(session)
            context.extras[INDEX_KEY] = index
    return index


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
    index = current_index(context, session)
    text = text[:MAX_QUERY_CHARS]
    solutions = []
    for position, score in fused_ranking(index, text, top=top, tenant_id=tenant_id):
        listing = index.listings[position]
        passage = index.ranker.passage(position, text)
        solutions.append(
            Solution(
                id=index.ids[position],
                title=listing.title,
                summary=listing.description or passage[:300],
                link=article_link(context, index.ids[position], listing.source_url),
                score=round(score, 4),
                passage=passage,
                attribution=listing.attribution,
                updated_at=listing.updated_at,
            )
        )
    return solutions


def fused_ranking(
    index: KnowledgeIndex, text: str, *, top: int, tenant_id: str | None = None
) -> list[tuple[int, float]]:
    """The ``top`` best visible articles (positions in the index) with their fused scores, best first."""
    visible = index.visible_to(tenant_id)
    lexical = {position: score for position, score in index.ranker.scores(text).items() if visible[position]}
    best_lexical = max(lexical.values(), default=0.0) or 1.0
    lexical_head = heapq.nlargest(CANDIDATES, lexical, key=lexical.__getitem__)
    cosines = index.vectors @ semantic.encode([text])[0]
    masked = np.where(visible & (cosines >= SEMANTIC_FLOOR), cosines, -np.inf)
    count = min(CANDIDATES, int(np.isfinite(masked).sum()))
    semantic_head = np.argpartition(-masked, count - 1)[:count] if count else np.array([], dtype=int)
    fused: dict[int, float] = {}
    for position in [*lexical_head, *(int(p) for p in semantic_head)]:
        if position not in fused:
            fused[position] = FUSION_WEIGHT * lexical.get(position, 0.0) / best_lexical + (
                1 - FUSION_WEIGHT
            ) * float(cosines[position])
    return sorted(fused.items(), key=lambda item: (-item[1], index.ids[item[0]]))[:top]
