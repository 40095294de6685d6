"""Which synced service health issues an incident is probably about, with what an agent needs to know.

Open issues come first, then those resolved in the last seven days; older resolved issues never match.
Within each group the text ranker orders them. The ranker is an interface (``Scorer``) so the shared
protocol-neutral ranker can replace the small BM25 scorer here without changing callers.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from m365bridge.connector.health import repository
from m365bridge.connector.health.models import ServiceHealthIssue
from m365bridge.shared.orm import utcnow

RESOLVED_WINDOW = dt.timedelta(days=7)
# Scores each document against the query; one score per document, 0 for no match.
Scorer = Callable[[str, Sequence[str]], list[float]]


@dataclass(frozen=True)
class IssueMatch:
    id: str
    title: str
    status: str
    classification: str
    is_resolved: bool
    impact_description: str
    service: str
    feature: str
    feature_group: str
    start_at: dt.datetime | None
    end_at: dt.datetime | None
    last_update_at: dt.datetime | None
    last_update: str
    next_update_at: dt.datetime | None
    score: float


def match_issues(
    session: Session,
    short_description: str,
    description: str = "",
    *,
    limit: int = 5,
    now: dt.datetime | None = None,
    scorer: Scorer | None = None,
) -> list[IssueMatch]:
    now = now or utcnow()
    issues = repository.issues_for_matching(session, now - RESOLVED_WINDOW)
    query = f"{short_description} {short_description} {description}".strip()
    if not issues or not query:
        return []
    scores = (scorer or bm25_scores)(query, [_document(issue) for issue in issues])
    ranked = sorted(
        ((issue, score) for issue, score in zip(issues, scores, strict=True) if score > 0),
        key=lambda pair: (pair[0].is_resolved, -pair[1]),
    )
    return [_match(issue, score) for issue, score in ranked[:limit]]


def _document(issue: ServiceHealthIssue) -> str:
    return " ".join(
        [issue.title, issue.impact_description, issue.service, issue.feature, issue.feature_group]
    )


def _match(issue: ServiceHealthIssue, score: float) -> IssueMatch:
    posts = sorted(issue.posts or [], key=lambda post: post.get("createdDateTime") or "")
    last = posts[-1] if posts else None
    return IssueMatch(
        id=issue.id,
        title=issue.title,
        status=issue.status,
        classification=issue.classification,
        is_resolved=issue.is_resolved,
        impact_description=issue.impact_description,
        service=issue.service,
        feature=issue.feature,
        feature_group=issue.feature_group,
        start_at=issue.start_at,
        end_at=issue.end_at,
        last_update_at=repository.parse_time(last.get("createdDateTime")) if last else None,
        last_update=post_text(last) if last else "",
        next_update_at=None if issue.is_resolved else next_update_time(posts),
        score=score,
    )


def post_text(post: dict[str, Any]) -> str:
    content = (post.get("description") or {}).get("content") or ""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", content)).split())


NEXT_UPDATE = re.compile(
    r"(?:next update (?:by|at|on)|provide (?:an|another|the next) update (?:by|at|on))\s*:?\s*"
    r"(?P<when>[^\n]+?)(?:\.\s|\.$|$|\n)",
    re.IGNORECASE,
)
WEEKDAY = re.compile(r"^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s*", re.IGNORECASE)
WHEN_FORMATS = ("%B %d, %Y %I:%M %p", "%B %d, %Y %I %p", "%B %d, %Y %H:%M", "%B %d %Y %I:%M %p")


def next_update_time(posts: Sequence[dict[str, Any]]) -> dt.datetime | None:
    """When the newest post that promises an update says it will come ("Next update by: …")."""
    for post in reversed(posts):
        found = NEXT_UPDATE.search(post_text(post))
        if found:
            return parse_when(found.group("when"))
    return None


def parse_when(text: str) -> dt.datetime | None:
    """'Tuesday, February 7, 2023, at 10:00 PM UTC' → 2023-02-07 22:00 UTC; None when not understood."""
    cleaned = WEEKDAY.sub("", text.strip())
    cleaned = re.sub(r"\b(?:at|UTC|GMT)\b|\(.*?\)", " ", cleaned, flags=re.IGNORECASE)
    cleaned = re.sub(r"\s*,\s*", ", ", cleaned).strip(" ,")
    cleaned = re.sub(r"(\d{4}),", r"\1", cleaned)
    cleaned = " ".join(cleaned.split())
    for form in WHEN_FORMATS:
        try:
            return dt.datetime.strptime(cleaned, form).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None


TOKEN = re.compile(r"[a-z0-9]+")


def _terms(text: str) -> list[str]:
    return [term for term in TOKEN.findall(text.lower()) if len(term) > 1]


def bm25_scores(query: str, documents: Sequence[str], *, k1: float = 1.2, b: float = 0.75) -> list[float]:
    """Okapi BM25 over the given documents only: small, self-contained, good enough for issue titles."""
    docs = [Counter(_terms(doc)) for doc in documents]
    lengths = [sum(doc.values()) for doc in docs]
    average = (sum(lengths) / len(docs)) if docs else 0.0
    frequency = Counter(term for doc in docs for term in doc)
    scores = []
    for doc, length in zip(docs, lengths, strict=True):
        score = 0.0
        for term in set(_terms(query)):
            if term not in doc:
                continue
            idf = math.log(1 + (len(docs) - frequency[term] + 0.5) / (frequency[term] + 0.5))
            tf = doc[term]
            score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / (average or 1)))
        scores.append(score)
    return scores
