"""Measure recommended-solutions quality on a query set: recall@5, MRR@10 and search latency.

The query set is JSON lines ``{"query": "...", "relevant": ["article id", ...]}``. The baseline is plain
BM25 over title and description only (no headings, body, or synonyms), the figure the project compares to.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from m365bridge.cloud.knowledge.repository import ArticleRepository
from m365bridge.shared.errors import UserError
from m365bridge.shared.ranking import BM25FParameters, Ranker


@dataclass(frozen=True)
class Query:
    text: str
    relevant: frozenset[str]


@dataclass(frozen=True)
class Metrics:
    recall_at_5: float
    mrr_at_10: float
    p95_ms: float

    def line(self) -> str:
        return f"recall@5={self.recall_at_5:.3f} mrr@10={self.mrr_at_10:.3f} p95_ms={self.p95_ms:.2f}"


def load_queries(path: Path) -> list[Query]:
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            queries.append(Query(str(row["query"]), frozenset(row["relevant"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise UserError(f"{path}:{number} is not a query line ({exc}); see docs/performance.md") from exc
    return queries


def evaluate(search: Callable[[str], Sequence[str]], queries: Sequence[Query]) -> Metrics:
    """Run every query through ``search`` (returning ranked ids) and score the answers."""
    found, reciprocal, timings = 0, 0.0, []
    for query in queries:
        started = time.perf_counter()
        ranked = list(search(query.text))[:10]
        timings.append((time.perf_counter() - started) * 1000)
        found += any(article_id in query.relevant for article_id in ranked[:5])
        rank = next((i for i, article_id in enumerate(ranked, 1) if article_id in query.relevant), None)
        reciprocal += 1 / rank if rank else 0.0
    count = max(len(queries), 1)
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) >= 2 else sum(timings)
    return Metrics(found / count, reciprocal / count, p95)


def baseline_ranker(session: Session) -> Ranker:
    """Plain BM25 over title and description: the reference every change to ranking must beat."""
    documents = [
        (article_id, {"title": title, "description": description})
        for article_id, _t, _p, title, description, *_rest in ArticleRepository(session).iter_for_index()
    ]
    parameters = BM25FParameters(weights={"title": 1.0, "description": 1.0}, synonyms={})
    return Ranker(documents, parameters=parameters, passage_field="")


def fields_ranker(session: Session) -> Ranker:
    """The in-memory BM25F over every field the product searched before its full-text index (title,
    description, headings, body, and the id's and services' words as keywords): the reference that shows
    what moving the lexical half into the database cost or gained."""
    documents = [
        (
            row.id,
            {
                "title": row.title,
                "description": row.description,
                "headings": row.headings,
                "body": row.body_text,
                "keywords": " ".join([re.sub(r"[/_-]+", " ", row.id), *row.services]),
            },
        )
        for row in ArticleRepository(session).iter_for_index()
    ]
    return Ranker(documents, parameters=BM25FParameters(synonyms={}))
