"""Which synced service health issues an incident is probably about, with what an agent needs to know.

An issue is listed only when it explains enough of the incident's short description (``relevance``: a
score from 0 to 1 with a floor, and a margin below the best issue), so an incident about a printer lists
nothing and one about Outlook on the web does not list a Teams issue that merely shares the word "web".
Open issues come first, then those resolved in the last seven days; older resolved issues never match.
Building the scorer is the costly part, so an ``IssueIndexCache`` keeps it until the synced issues change.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from m365bridge.connector.health import repository
from m365bridge.connector.health.models import ServiceHealthIssue
from m365bridge.connector.health.relevance import IssueScorer, shortlist
from m365bridge.shared.orm import utcnow

RESOLVED_WINDOW = dt.timedelta(days=7)


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
    # When the issue stopped counting as open (resolved issues only): its end, else its last change.
    resolved_at: dt.datetime | None
    score: float


@dataclass(frozen=True)
class IssueIndex:
    """A scorer over every synced issue, and each issue as a match waiting for its score."""

    fingerprint: tuple[Any, ...]
    scorer: IssueScorer
    issues: dict[str, IssueMatch]


def build_index(session: Session) -> IssueIndex:
    fingerprint = repository.issues_fingerprint(session)
    issues = repository.all_issues(session)
    scorer = IssueScorer((issue.id, _fields(issue)) for issue in issues)
    return IssueIndex(fingerprint, scorer, {issue.id: _match(issue) for issue in issues})


class IssueIndexCache:
    """The current ``IssueIndex`` of one process, rebuilt when a cheap fingerprint of the table changes."""

    def __init__(self) -> None:
        self._index: IssueIndex | None = None
        self._lock = threading.Lock()

    def get(self, session: Session) -> IssueIndex:
        fingerprint = repository.issues_fingerprint(session)
        index = self._index
        if index is not None and index.fingerprint == fingerprint:
            return index
        with self._lock:
            if self._index is None or self._index.fingerprint != fingerprint:
                self._index = build_index(session)
            return self._index


def match_issues(
    session: Session,
    short_description: str,
    *,
    limit: int = 5,
    now: dt.datetime | None = None,
    cache: IssueIndexCache | None = None,
) -> list[IssueMatch]:
    """The best ``limit`` open or recently resolved issues that explain an incident's short description,
    open ones first; none when no issue explains it well enough."""
    if not short_description.strip() or limit < 1:
        return []
    index = cache.get(session) if cache is not None else build_index(session)
    since = (now or utcnow()) - RESOLVED_WINDOW

    def current(issue_id: str) -> bool:
        issue = index.issues[issue_id]
        return not issue.is_resolved or (issue.resolved_at is not None and issue.resolved_at >= since)

    # The floor and the margin apply among the issues that may be shown: an old resolved issue that fits
    # better must not push a current one off the list.
    listed = shortlist([item for item in index.scorer.score(short_description) if current(item.id)])
    # Any open issue outranks every resolved one (sorted() keeps the score order within each group).
    listed = sorted(listed, key=lambda item: index.issues[item.id].is_resolved)
    return [replace(index.issues[item.id], score=item.score) for item in listed[:limit]]


def _fields(issue: ServiceHealthIssue) -> dict[str, str]:
    return {
        "title": issue.title,
        "impact": issue.impact_description,
        "scope": " ".join([issue.service, issue.feature, issue.feature_group]),
    }


def _match(issue: ServiceHealthIssue) -> IssueMatch:
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
        resolved_at=(issue.end_at or issue.last_modified_at) if issue.is_resolved else None,
        score=0.0,
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
    """'Tuesday, February 7, 2023, at 10:00 PM UTC' or '2023-02-07T22:00:00Z' → 2023-02-07 22:00 UTC; None
    when not understood."""
    try:
        stamp = dt.datetime.fromisoformat(text.strip())
        return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)
    except ValueError:
        pass  # not ISO 8601: try the prose forms Microsoft's posts use
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
