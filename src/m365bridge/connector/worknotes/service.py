"""The change handler of work-note mode: one insights work note per incident and content.

For each incident the desk reports as created or changed: when its short description is new to the
ledger, find its insights as the tab does (service health matched on the short description, recommended
articles from the support service on the whole text), keep what matches well enough, and post one work note
through the service-desk port unless the ledger says the same findings were posted already.

- Well enough: an issue passes ``health.relevance``'s floor and margin (``match_issues``); an article passes
  ``ARTICLE_MIN_SCORE`` of the support service's score. Nothing passing: nothing posted.
- Never twice: the ledger row per incident holds the last posted findings (issue and article ids) and their
  digest. Findings that add no issue and no article to them are not posted: a reworded short description
  whose weaker articles fall below the score floor says nothing new. The note is posted in the same writer
  unit that records it, after taking the row (a concurrent run waits, then finds it). The note's
  idempotency key is the incident, its note count and the digest, so a remote desk's outbox delivers a
  retried write once.
- The support service is an HTTP call, made outside any write unit. When it cannot answer, the incident is
  left as it was (no note, no ledger change), so the next change or run tries again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health import repository as health_repository
from m365bridge.connector.health.matching import IssueMatch, match_issues
from m365bridge.connector.insights import solutions
from m365bridge.connector.insights.service import issue_index
from m365bridge.connector.servicedesk import desk_for
from m365bridge.connector.servicedesk.port import DeskIncident, WorkNote
from m365bridge.connector.setup.gate import SetupView, current_setup
from m365bridge.connector.setup.modes import Mode
from m365bridge.connector.worknotes import messages, repository
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow

log = logging.getLogger(__name__)

AUTHOR = "system"
MAX_ISSUES = 3
TOP_ARTICLES = 3
# The support service's score is 0.7 x the article's BM25F over the query's best BM25F plus 0.3 x the cosine
# of meanings (cloud/knowledge/service.py): the best word match and those near it score 0.5 and more, an
# article listed only for a loosely related meaning stays below.
ARTICLE_MIN_SCORE = 0.5
# Where the connector serves the incident's Microsoft 365 support tab (connector/m365/pages.py).
TAB_PATH = "/incidents/{sys_id}/m365"


@dataclass
class InsightNotesOutcome:
    posted: int = 0
    unchanged: int = 0  # short description already looked at, or the same findings already posted
    nothing_matched: int = 0
    done: int = 0  # resolved, closed or canceled: no note
    retry: int = 0  # the support service could not answer: tried again on the next change or run
    off: bool = False  # setup does not offer insights: nothing looked at


@dataclass(frozen=True)
class Findings:
    issues: list[IssueMatch]
    articles: list[dict[str, Any]]

    @property
    def content(self) -> dict[str, list[str]]:
        """The findings by id, not their wording: a status change alone is not new content (the issue's
        updates follow as their own notes)."""
        return {
            "issues": sorted(i.id for i in self.issues),
            "articles": sorted(a["id"] for a in self.articles),
        }

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.content, sort_keys=True).encode()).hexdigest()

    def adds_to(self, posted: dict[str, list[str]]) -> bool:
        """Whether these findings name an issue or an article the last note did not."""
        return any(set(ids) - set(posted.get(kind, [])) for kind, ids in self.content.items())


def post_insight_notes(context: ConnectorContext, incidents: Sequence[DeskIncident]) -> InsightNotesOutcome:
    """The change handler: post the insights note of each incident that needs one; safe to run twice, or
    twice at once. Never inside a write transaction of the caller (it calls the support service)."""
    outcome = InsightNotesOutcome()
    with transaction(context.sessions) as session:
        view = current_setup(session)
        seen = {
            sys_id: row.short_description
            for sys_id, row in repository.ledgers(session, [i.sys_id for i in incidents]).items()
        }
    if not _offers_insights(view):
        outcome.off = True
        return outcome
    assert view is not None  # _offers_insights checked it
    for incident in incidents:
        if incident.done:
            outcome.done += 1
        elif seen.get(incident.sys_id) == incident.short_description:
            outcome.unchanged += 1
        else:
            _handle(context, view, incident, outcome)
    return outcome


def _offers_insights(view: SetupView | None) -> bool:
    """As the tab's gate (``insights.service.allowed_setup``), without its log line: the tab tells an agent
    who asks, whereas this runs on every change."""
    # Every mode offers recommended solutions; service health only those but Mode.NONE (``_findings``).
    return view is not None and view.mode is not None and view.finished and view.confirmed


def _handle(
    context: ConnectorContext, view: SetupView, incident: DeskIncident, outcome: InsightNotesOutcome
) -> None:
    findings = _findings(context, view, incident)
    if findings is None:
        outcome.retry += 1
        return
    if not findings.issues and not findings.articles:
        with transaction(context.sessions, write=True) as session:
            row = repository.take_ledger(session, incident.sys_id, incident.number)
            row.short_description, row.updated_at = incident.short_description, utcnow()
        outcome.nothing_matched += 1
        return
    digest = findings.digest
    text = messages.insights_note(findings.issues, findings.articles, tab_url(context, incident.sys_id))
    desk = desk_for(context)
    with transaction(context.sessions, write=True) as session:
        row = repository.take_ledger(session, incident.sys_id, incident.number)
        row.short_description, row.updated_at = incident.short_description, utcnow()
        if not findings.adds_to(row.content):
            outcome.unchanged += 1
            return
        key = f"worknotes:{incident.sys_id}:note:{row.notes_posted + 1}:{digest[:40]}"
        desk.add_work_notes(session.connection(), [WorkNote(incident.sys_id, text, AUTHOR, key=key)])
        row.digest, row.content, row.posted_at = digest, findings.content, utcnow()
        row.notes_posted += 1
        covered = {}
        for issue in findings.issues:
            stored = health_repository.get_issue(session, issue.id)
            covered[issue.id] = len(stored.posts or []) if stored is not None else 0
        repository.follow_only(session, incident.sys_id, covered)
    outcome.posted += 1


def _findings(context: ConnectorContext, view: SetupView, incident: DeskIncident) -> Findings | None:
    """What matches the incident well enough; None when the support service could not answer."""
    issues: list[IssueMatch] = []
    if view.mode is not Mode.NONE:
        with transaction(context.sessions) as session:
            issues = match_issues(session, incident.short_description, cache=issue_index(context))
    issues = issues[:MAX_ISSUES]
    text = f"{incident.short_description}\n{incident.description}".strip()
    if not text:
        return Findings(issues, [])
    try:
        # A writer unit whose first statement comes after the call: the call itself runs in no transaction,
        # and the failure's system-log line (``solutions._nothing``) is written after it.
        with transaction(context.sessions, write=True) as session:
            answer = solutions.recommend(context, session, view, text)
    except solutions.ContactAppSupport:
        log.warning("insights work note for %s postponed: the support service refused", incident.number)
        return None
    if answer.warnings:
        log.warning("insights work note for %s postponed: %s", incident.number, "; ".join(answer.warnings))
        return None
    articles = [a for a in answer.solutions if (a.get("score") or 0.0) >= ARTICLE_MIN_SCORE]
    return Findings(issues, articles[:TOP_ARTICLES])


def tab_url(context: ConnectorContext, sys_id: str) -> str:
    return context.settings.base_url + TAB_PATH.format(sys_id=sys_id)
