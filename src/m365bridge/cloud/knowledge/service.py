"""Recommended solutions: rank the knowledge base for a text, honouring who may see which article.

The search index lives in memory, one per process, built on first use and rebuilt when the KB's
fingerprint (article count and newest change) moves, so an import by the CLI is seen by a running server.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.knowledge.repository import ArticleRepository
from m365bridge.shared.errors import UserError
from m365bridge.shared.ranking import Ranker

INDEX_KEY = "knowledge.index"
_LOCK = threading.Lock()
MAX_QUERY_CHARS = 4000


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
    owners: dict[str, tuple[bool, str | None]]  # article id -> (public, tenant id)
    listings: dict[str, Listing]

    def visible_to(self, tenant_id: str | None) -> Any:
        def allowed(article_id: str) -> bool:
            public, owner = self.owners[article_id]
            return public or (tenant_id is not None and owner == tenant_id)

        return allowed


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
    owners: dict[str, tuple[bool, str | None]] = {}
    listings: dict[str, Listing] = {}
    documents: list[tuple[str, dict[str, str]]] = []
    for row in repository.iter_for_index():
        owners[row.id] = (row.public, row.tenant_id)
        listings[row.id] = Listing(
            row.title, row.description, row.source_url, row.attribution, row.updated_at
        )
        fields = {
            "title": row.title,
            "description": row.description,
            "headings": row.headings,
            "body": row.body_text,
            "keywords": " ".join([_id_words(row.id), *row.services]),
        }
        documents.append((row.id, fields))
    return KnowledgeIndex(version=version, ranker=Ranker(documents), owners=owners, listings=listings)


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
    hits = index.ranker.search(text[:MAX_QUERY_CHARS], top=top, allowed=index.visible_to(tenant_id))
    solutions = []
    for hit in hits:
        listing = index.listings[hit.id]
        solutions.append(
            Solution(
                id=hit.id,
                title=listing.title,
                summary=listing.description or hit.passage[:300],
                link=article_link(context, hit.id, listing.source_url),
                score=hit.score,
                passage=hit.passage,
                attribution=listing.attribution,
                updated_at=listing.updated_at,
            )
        )
    return solutions
