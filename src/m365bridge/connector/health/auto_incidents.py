"""v2.1's Service Health automation: one ITSM incident per Microsoft service health issue, kept up to date.

After each sync: every open issue without an incident gets one (title → short description, issue type →
impact, status → urgency, the rest → description); each new Microsoft post becomes a work note until the
incident is closed; and, when asked, the incident is resolved once Microsoft resolves the issue.

Exactly one incident per issue, across restarts and concurrent runs: the incident and its link row are
written in one transaction, and the link's primary key is the issue id, so a second run's insert fails and
its whole transaction (incident included) is rolled back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.matching import post_text
from m365bridge.connector.health.models import AutoIncidentLink, AutoIncidentSettings, ServiceHealthIssue
from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.incidents.models import Incident, new_sys_id
from m365bridge.connector.incidents.table import DONE_STATES, TEXT_MAX_LENGTHS, Journal
from m365bridge.shared.db import transaction

CLOSE_CODE = "Closed/Resolved by Caller"
CLOSE_NOTES = (
    "The Microsoft service health incident was resolved on {when}. Please refer to the incident details in "
    "the Microsoft 365 Support tab for more information."
)
IMPACT = {"incident": 2, "advisory": 3}
URGENCY = {"serviceInterruption": 1, "serviceDegradation": 2, "investigating": 2, "restoringService": 2}


@dataclass
class AutoIncidentOutcome:
    created: int = 0
    notes: int = 0
    resolved: int = 0


def settings_of(session: Session) -> AutoIncidentSettings:
    return session.get(AutoIncidentSettings, 1) or AutoIncidentSettings(id=1, enabled=False)


def apply_auto_incidents(context: ConnectorContext) -> AutoIncidentOutcome:
    """Create, update and resolve the linked incidents; safe to run twice, or twice at once."""
    outcome = AutoIncidentOutcome()
    with transaction(context.sessions) as session:
        config = settings_of(session)
        if not config.enabled:
            return outcome
        linked = set(session.scalars(select(AutoIncidentLink.issue_id)))
        fresh = [
            issue.id
            for issue in session.scalars(
                select(ServiceHealthIssue).where(ServiceHealthIssue.is_resolved.is_(False))
            )
            if issue.id not in linked
        ]
    for issue_id in fresh:
        outcome.created += _create(context, issue_id)
    with transaction(context.sessions) as session:
        issue_ids = list(session.scalars(select(AutoIncidentLink.issue_id)))
    for issue_id in issue_ids:
        with transaction(context.sessions, write=True) as session:
            # A write first, for the same reason as in _create: concurrent runs take turns per link.
            session.execute(
                update(AutoIncidentLink)
                .where(AutoIncidentLink.issue_id == issue_id)
                .values(posts_posted=AutoIncidentLink.posts_posted)
            )
            link = session.get(AutoIncidentLink, issue_id)
            if link is not None:
                _follow(session, settings_of(session), link, outcome)
    return outcome


def _create(context: ConnectorContext, issue_id: str) -> int:
    try:
        with transaction(context.sessions, write=True) as session:
            # The link goes in first: the insert takes the write lock (a concurrent run waits here rather
            # than failing on a stale read), and a run that comes second fails here, before any incident.
            link = AutoIncidentLink(issue_id=issue_id, incident_sys_id=new_sys_id(), posts_posted=0)
            session.add(link)
            session.flush()
            issue = session.get(ServiceHealthIssue, issue_id)
            if issue is None:
                raise IntegrityError("issue gone", None, LookupError(issue_id))
            incident = incidents.create_incident(
                session, _fields(issue, settings_of(session)), incidents.SYSTEM
            )
            link.incident_sys_id = incident.sys_id
    except IntegrityError:
        return 0  # another run linked this issue first; its incident is the one
    return 1


def _fields(issue: ServiceHealthIssue, config: AutoIncidentSettings) -> dict[str, Any]:
    scope = " / ".join(part for part in (issue.service, issue.feature, issue.feature_group) if part)
    description = "\n".join(
        [
            f"Microsoft service health {issue.classification} {issue.id}",
            f"Status: {issue.status}",
            f"Scope: {scope}",
            f"Impact: {issue.impact_description}",
            f"Started: {issue.start_at:%Y-%m-%d %H:%M UTC}" if issue.start_at else "",
        ]
    ).strip()
    fields: dict[str, Any] = {
        "short_description": issue.title[:160],
        # Graph's impact text has no documented bound; the incident's field has.
        "description": description[: TEXT_MAX_LENGTHS["description"]],
        "impact": IMPACT.get(issue.classification, 3),
        "urgency": URGENCY.get(issue.status, 3),
        "assignment_group": config.assignment_group,
        "category": config.category,
        "subcategory": config.subcategory,
        "correlation_id": issue.id,
        "correlation_display": "Microsoft 365 service health",
    }
    if config.assigned_to:
        fields["assigned_to"] = config.assigned_to
    return fields


def _follow(
    session: Session, config: AutoIncidentSettings, link: AutoIncidentLink, outcome: AutoIncidentOutcome
) -> None:
    incident = session.get(Incident, link.incident_sys_id)
    issue = session.get(ServiceHealthIssue, link.issue_id)
    if incident is None or issue is None or incident.state in DONE_STATES:
        return  # posting stops once the incident is closed
    posts = sorted(issue.posts or [], key=lambda post: post.get("createdDateTime") or "")
    for post in posts[link.posts_posted :]:
        incidents.add_journal(session, incident, Journal.WORK_NOTES, post_text(post), "system")
        outcome.notes += 1
    link.posts_posted = len(posts)
    if config.auto_resolve and issue.is_resolved:
        when = issue.end_at or issue.last_modified_at
        notes = CLOSE_NOTES.format(when=when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
        incidents.resolve_incident(session, incident, CLOSE_CODE, notes, incidents.SYSTEM)
        outcome.resolved += 1
