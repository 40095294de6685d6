"""v2.1's Service Health automation: one ITSM incident per Microsoft service health issue, kept up to date.

After each sync: every open issue without an incident gets one (title → short description, issue type →
impact, status → urgency, the rest → description); each new Microsoft post becomes a work note until the
incident is closed; and, when asked, the incident is resolved once Microsoft resolves the issue. The
incidents are the service desk's, reached through its port.

Exactly one incident per issue, across restarts and concurrent runs: the incident and its link row are
written in one transaction (a remote desk's creation goes to its outbox in that transaction), and the link's
primary key is the issue id, so a second run's insert fails and its whole transaction (incident included)
is rolled back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.db import new_sys_id
from m365bridge.connector.health import repository
from m365bridge.connector.health.matching import post_text
from m365bridge.connector.health.models import AutoIncidentLink, AutoIncidentSettings, ServiceHealthIssue
from m365bridge.connector.incidents.table import TEXT_MAX_LENGTHS
from m365bridge.connector.servicedesk import desk_for, outbox
from m365bridge.connector.servicedesk.port import DeskIncident, NewIncident, ServiceDesk, WorkNote
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import NotFound

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
    return repository.auto_incident_settings(session) or AutoIncidentSettings(id=1, enabled=False)


def apply_auto_incidents(context: ConnectorContext) -> AutoIncidentOutcome:
    """Create, update and resolve the linked incidents; safe to run twice, or twice at once."""
    desk = desk_for(context)
    outcome = AutoIncidentOutcome()
    with transaction(context.sessions) as session:
        if not settings_of(session).enabled:
            return outcome
        fresh = repository.unlinked_open_issue_ids(session)
    for issue_id in fresh:
        outcome.created += _create(context, desk, issue_id)
    with transaction(context.sessions) as session:
        issue_ids = repository.linked_issue_ids(session)
    for issue_id in issue_ids:
        # The incident is read first, outside the writer unit: a remote desk's read is an HTTP call.
        with transaction(context.sessions) as session:
            incident = _linked_incident(session, desk, issue_id)
        if incident is None or incident.done:
            continue  # posting stops once the incident is closed
        with transaction(context.sessions, write=True) as session:
            link = repository.take_link(session, issue_id)
            if link is not None:
                _follow(session, desk, settings_of(session), link, outcome)
    return outcome


def adopt_created_incidents(context: ConnectorContext) -> int:
    """Give the links whose incident a remote desk created after the commit (``create_incident`` returned
    None) that incident's sys_id and number, once the outbox delivered it; returns how many."""
    adopted = 0
    with transaction(context.sessions, write=True) as session:
        for link in repository.links_without_number(session):
            created = outbox.created_incident(session, link.issue_id)
            if created is not None:
                link.incident_sys_id, link.incident_number = created.sys_id, created.number
                adopted += 1
    return adopted


def _linked_incident(session: Session, desk: ServiceDesk, issue_id: str) -> DeskIncident | None:
    sys_id = repository.incident_of_link(session, issue_id)
    if sys_id is None:
        return None
    try:
        return desk.get_incident(session, sys_id)
    except NotFound:
        return None


def _create(context: ConnectorContext, desk: ServiceDesk, issue_id: str) -> int:
    try:
        with transaction(context.sessions, write=True) as session:
            # The link goes in first: the insert takes the write lock (a concurrent run waits here rather
            # than failing on a stale read), and a run that comes second fails here, before any incident.
            link = AutoIncidentLink(issue_id=issue_id, incident_sys_id=new_sys_id(), posts_posted=0)
            repository.add_link(session, link)
            issue = repository.get_issue(session, issue_id)
            if issue is None:
                raise IntegrityError("issue gone", None, LookupError(issue_id))
            created = desk.create_incident(session, _new_incident(issue, settings_of(session)))
            if created is not None:
                link.incident_sys_id, link.incident_number = created.sys_id, created.number
    except IntegrityError:
        return 0  # another run linked this issue first; its incident is the one
    return 1


def _new_incident(issue: ServiceHealthIssue, config: AutoIncidentSettings) -> NewIncident:
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
    fields = {
        "assignment_group": config.assignment_group,
        "category": config.category,
        "subcategory": config.subcategory,
    }
    if config.assigned_to:
        fields["assigned_to"] = config.assigned_to
    return NewIncident(
        correlation_id=issue.id,
        correlation_display="Microsoft 365 service health",
        short_description=issue.title[:160],
        # Graph's impact text has no documented bound; the incident's field has.
        description=description[: TEXT_MAX_LENGTHS["description"]],
        impact=IMPACT.get(issue.classification, 3),
        urgency=URGENCY.get(issue.status, 3),
        fields=fields,
    )


def _follow(
    session: Session,
    desk: ServiceDesk,
    config: AutoIncidentSettings,
    link: AutoIncidentLink,
    outcome: AutoIncidentOutcome,
) -> None:
    issue = repository.get_issue(session, link.issue_id)
    if issue is None:
        return
    posts = sorted(issue.posts or [], key=lambda post: post.get("createdDateTime") or "")
    notes = [
        WorkNote(link.incident_sys_id, post_text(post), "system", key=f"health:{issue.id}:post:{n}")
        for n, post in enumerate(posts[link.posts_posted :], start=link.posts_posted)
    ]
    if notes:
        desk.add_work_notes(session.connection(), notes)
        outcome.notes += len(notes)
    link.posts_posted = len(posts)
    if config.auto_resolve and issue.is_resolved:
        when = issue.end_at or issue.last_modified_at
        notes_text = CLOSE_NOTES.format(when=when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
        desk.resolve_incident(session, link.incident_sys_id, CLOSE_CODE, notes_text)
        outcome.resolved += 1
