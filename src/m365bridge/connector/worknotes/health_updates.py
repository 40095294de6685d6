"""After each service health sync: the new posts of an issue become work notes on the incidents whose
insights note named it, as v2.1 did for its own incidents (``health.auto_incidents._follow``).

Once per post: each follow counts the issue's posts already covered, and the notes and the new count are
written in one writer unit that first takes the incident's follows (a concurrent run waits, then finds
nothing new); each note's idempotency key names the incident, the issue and the post. Following ends when
the incident is done or gone, or when the issue is resolved and its last post was posted. Without any
follow (no insights note posted, e.g. the built-in world without work-note mode) this reads one table and
does nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health import repository as health_repository
from m365bridge.connector.health.matching import post_text
from m365bridge.connector.servicedesk import desk_for
from m365bridge.connector.servicedesk.port import DeskIncident, ServiceDesk, WorkNote
from m365bridge.connector.worknotes import messages, repository
from m365bridge.connector.worknotes.service import AUTHOR
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import NotFound


@dataclass
class HealthUpdatesOutcome:
    notes: int = 0
    unfollowed: int = 0  # follows ended: incident done or gone, or issue resolved with every post posted


def post_health_updates(context: ConnectorContext) -> HealthUpdatesOutcome:
    """Post the followed issues' new posts on their incidents; safe to run twice, or twice at once."""
    outcome = HealthUpdatesOutcome()
    with transaction(context.sessions) as session:
        sys_ids = repository.following_incidents(session)
    if not sys_ids:
        return outcome
    desk = desk_for(context)
    for sys_id in sys_ids:
        # Read first, outside the writer unit: a remote desk's read is an HTTP call.
        with transaction(context.sessions) as session:
            incident = _incident(session, desk, sys_id)
        with transaction(context.sessions, write=True) as session:
            if incident is None or incident.done:
                follows = repository.take_follows(session, sys_id)
                repository.unfollow(session, sys_id)
                outcome.unfollowed += len(follows)
            else:
                _post_new(session, desk, incident, outcome)
    return outcome


def _incident(session: Session, desk: ServiceDesk, sys_id: str) -> DeskIncident | None:
    try:
        return desk.get_incident(session, sys_id)
    except NotFound:
        return None


def _post_new(
    session: Session, desk: ServiceDesk, incident: DeskIncident, outcome: HealthUpdatesOutcome
) -> None:
    notes: list[WorkNote] = []
    finished: list[str] = []
    for follow in repository.take_follows(session, incident.sys_id):
        issue = health_repository.get_issue(session, follow.issue_id)
        if issue is None:
            finished.append(follow.issue_id)
            continue
        posts = sorted(issue.posts or [], key=lambda post: post.get("createdDateTime") or "")
        for n, post in enumerate(posts[follow.posts_posted :], start=follow.posts_posted):
            text = messages.health_update_note(issue.id, issue.title, issue.status, post_text(post))
            key = f"worknotes:{incident.sys_id}:health:{issue.id}:post:{n}"
            notes.append(WorkNote(incident.sys_id, text, AUTHOR, key=key))
        follow.posts_posted = len(posts)
        if issue.is_resolved:
            finished.append(follow.issue_id)
    if notes:
        desk.add_work_notes(session.connection(), notes)
        outcome.notes += len(notes)
    if finished:
        repository.unfollow(session, incident.sys_id, finished)
        outcome.unfollowed += len(finished)
