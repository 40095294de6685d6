"""All SQL of service health: upserts where the newest version wins, watermarks, the lease, sync runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from m365bridge.connector.health.models import (
    AutoIncidentLink,
    AutoIncidentSettings,
    ServiceHealthIssue,
    ServiceMessage,
    SyncLease,
    SyncRun,
    SyncState,
)


def parse_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC) if value else None


def upsert_issue(session: Session, data: dict[str, Any]) -> bool:
    """Store this version unless it or a newer one is already stored; returns whether it was stored."""
    modified = parse_time(data.get("lastModifiedDateTime")) or dt.datetime.now(dt.UTC)
    row = session.get(ServiceHealthIssue, data["id"])
    if row is not None and row.last_modified_at >= modified:
        return False
    if row is None:
        row = ServiceHealthIssue(id=data["id"])
        session.add(row)
    row.title = data.get("title") or ""
    row.impact_description = data.get("impactDescription") or ""
    row.classification = data.get("classification") or ""
    row.status = data.get("status") or ""
    row.origin = data.get("origin") or ""
    row.service = data.get("service") or ""
    row.feature = data.get("feature") or ""
    row.feature_group = data.get("featureGroup") or ""
    row.is_resolved = bool(data.get("isResolved"))
    row.start_at = parse_time(data.get("startDateTime"))
    row.end_at = parse_time(data.get("endDateTime"))
    row.last_modified_at = modified
    row.posts = list(data.get("posts") or [])
    return True


def upsert_message(session: Session, data: dict[str, Any]) -> bool:
    modified = parse_time(data.get("lastModifiedDateTime")) or dt.datetime.now(dt.UTC)
    row = session.get(ServiceMessage, data["id"])
    if row is not None and row.last_modified_at >= modified:
        return False
    if row is None:
        row = ServiceMessage(id=data["id"])
        session.add(row)
    row.title = data.get("title") or ""
    row.category = data.get("category") or ""
    row.severity = data.get("severity") or ""
    row.services = list(data.get("services") or [])
    row.tags = list(data.get("tags") or [])
    row.is_major_change = bool(data.get("isMajorChange"))
    row.body_html = (data.get("body") or {}).get("content") or ""
    row.start_at = parse_time(data.get("startDateTime"))
    row.end_at = parse_time(data.get("endDateTime"))
    row.action_required_by = parse_time(data.get("actionRequiredByDateTime"))
    row.last_modified_at = modified
    return True


def delete_messages_except(session: Session, keep: Collection[str]) -> int:
    """Drop messages that have left the feed (a full listing did not return them)."""
    gone = [m for m in session.scalars(select(ServiceMessage.id)).all() if m not in keep]
    for start in range(0, len(gone), 500):
        session.execute(delete(ServiceMessage).where(ServiceMessage.id.in_(gone[start : start + 500])))
    return len(gone)


def sync_state(session: Session, collection: str) -> SyncState:
    state = session.get(SyncState, collection)
    if state is None:
        state = SyncState(collection=collection)
        session.add(state)
    return state


def ensure_lease_row(session: Session, name: str) -> None:
    if session.get(SyncLease, name) is not None:
        return
    try:
        with session.begin_nested():
            session.add(SyncLease(name=name))
    except IntegrityError:
        pass  # another process created it first, which is all we needed


def claim_lease(session: Session, name: str, holder: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Take the lease if it is free or expired; atomic on SQLite and PostgreSQL alike."""
    result = session.execute(
        update(SyncLease)
        .where(SyncLease.name == name, or_(SyncLease.holder.is_(None), SyncLease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl)
    )
    return getattr(result, "rowcount", 0) == 1


def renew_lease(session: Session, name: str, holder: str, until: dt.datetime) -> bool:
    result = session.execute(
        update(SyncLease).where(SyncLease.name == name, SyncLease.holder == holder).values(expires_at=until)
    )
    return getattr(result, "rowcount", 0) == 1


def release_lease(session: Session, name: str, holder: str) -> None:
    session.execute(
        update(SyncLease)
        .where(SyncLease.name == name, SyncLease.holder == holder)
        .values(holder=None, expires_at=None)
    )


def add_run(session: Session, run: SyncRun) -> SyncRun:
    session.add(run)
    session.flush()
    return run


def last_successful_sync(session: Session) -> dt.datetime | None:
    return session.scalar(
        select(func.max(SyncRun.finished_at)).where(SyncRun.finished_at.is_not(None), SyncRun.error.is_(None))
    )


def recent_runs(session: Session, limit: int = 20) -> Sequence[SyncRun]:
    return session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)).all()


def all_issues(session: Session) -> Sequence[ServiceHealthIssue]:
    return session.scalars(select(ServiceHealthIssue)).all()


# One statement, built once: the fingerprint is read on every insights request.
_FINGERPRINT = select(
    select(func.count(ServiceHealthIssue.id)).scalar_subquery(),
    select(func.max(ServiceHealthIssue.last_modified_at)).scalar_subquery(),
    select(func.max(SyncRun.id)).where(SyncRun.issues > 0).scalar_subquery(),
)


def issues_fingerprint(session: Session) -> tuple[Any, ...]:
    """Changes whenever an issue is added or stored in a newer version (by a sync or directly)."""
    return tuple(session.execute(_FINGERPRINT).one())


def issues_with_incidents(
    session: Session, limit: int = 200
) -> Sequence[tuple[ServiceHealthIssue, str | None, str | None]]:
    """The newest issues with the number and sys_id of each one's auto-created incident, if any."""
    rows = session.execute(
        select(ServiceHealthIssue, AutoIncidentLink.incident_number, AutoIncidentLink.incident_sys_id)
        .outerjoin(AutoIncidentLink, AutoIncidentLink.issue_id == ServiceHealthIssue.id)
        .order_by(ServiceHealthIssue.last_modified_at.desc(), ServiceHealthIssue.id)
        .limit(limit)
    )
    return [(issue, number, sys_id) for issue, number, sys_id in rows]


def auto_incident_settings(session: Session) -> AutoIncidentSettings | None:
    return session.get(AutoIncidentSettings, 1)


def unlinked_open_issue_ids(session: Session) -> list[str]:
    """Open issues that have no automatic incident yet."""
    query = (
        select(ServiceHealthIssue.id)
        .outerjoin(AutoIncidentLink, AutoIncidentLink.issue_id == ServiceHealthIssue.id)
        .where(ServiceHealthIssue.is_resolved.is_(False), AutoIncidentLink.issue_id.is_(None))
    )
    return list(session.scalars(query))


def linked_issue_ids(session: Session) -> list[str]:
    return list(session.scalars(select(AutoIncidentLink.issue_id)))


def add_link(session: Session, link: AutoIncidentLink) -> None:
    """Insert the link at once: raises IntegrityError when another run linked the issue first."""
    session.add(link)
    session.flush()


def links_without_number(session: Session) -> Sequence[AutoIncidentLink]:
    """Links whose incident a remote desk has not created yet (its sys_id is a placeholder until then)."""
    return session.scalars(select(AutoIncidentLink).where(AutoIncidentLink.incident_number == "")).all()


def take_link(session: Session, issue_id: str) -> AutoIncidentLink | None:
    """The link, after a write to its row: the unit becomes a writer at once, so concurrent runs take turns
    per link instead of acting on a stale read."""
    session.execute(
        update(AutoIncidentLink)
        .where(AutoIncidentLink.issue_id == issue_id)
        .values(posts_posted=AutoIncidentLink.posts_posted)
    )
    return session.get(AutoIncidentLink, issue_id)


def incident_of_link(session: Session, issue_id: str) -> str | None:
    return session.scalar(
        select(AutoIncidentLink.incident_sys_id).where(AutoIncidentLink.issue_id == issue_id)
    )


def get_issue(session: Session, issue_id: str) -> ServiceHealthIssue | None:
    return session.get(ServiceHealthIssue, issue_id)
