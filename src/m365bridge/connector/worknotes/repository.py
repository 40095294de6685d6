"""All SQL of the work-note feature."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from m365bridge.connector.worknotes.models import InsightNoteLedger, IssueFollow
from m365bridge.shared.orm import utcnow

_LEDGER = cast(Table, InsightNoteLedger.__table__)


def ledgers(session: Session, sys_ids: Collection[str]) -> dict[str, InsightNoteLedger]:
    if not sys_ids:
        return {}
    rows = session.scalars(select(InsightNoteLedger).where(InsightNoteLedger.incident_sys_id.in_(sys_ids)))
    return {row.incident_sys_id: row for row in rows}


def take_ledger(session: Session, sys_id: str, number: str) -> InsightNoteLedger:
    """The incident's ledger row, created when missing, after a write to it: the unit is a writer from here
    on and holds the row, so a concurrent run waits and then reads what this one leaves (the same idea as
    ``health.repository.take_link``)."""
    connection = session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(
        insert(_LEDGER)
        .values(incident_sys_id=sys_id, incident_number=number, short_description="", digest="", content={})
        .values(notes_posted=0)
        .values(updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["incident_sys_id"])
    )
    session.execute(
        update(InsightNoteLedger)
        .where(InsightNoteLedger.incident_sys_id == sys_id)
        .values(incident_number=number)
        .execution_options(synchronize_session=False)
    )
    row = session.scalars(
        select(InsightNoteLedger)
        .where(InsightNoteLedger.incident_sys_id == sys_id)
        .execution_options(populate_existing=True)
    ).one()
    return row


def follow_only(session: Session, sys_id: str, posts_covered: Mapping[str, int]) -> None:
    """The incident follows exactly these issues now; an issue it already followed keeps its progress."""
    session.execute(
        delete(IssueFollow).where(
            IssueFollow.incident_sys_id == sys_id, IssueFollow.issue_id.not_in(list(posts_covered))
        )
    )
    kept = set(session.scalars(select(IssueFollow.issue_id).where(IssueFollow.incident_sys_id == sys_id)))
    session.add_all(
        IssueFollow(incident_sys_id=sys_id, issue_id=issue_id, posts_posted=covered)
        for issue_id, covered in posts_covered.items()
        if issue_id not in kept
    )


def following_incidents(session: Session) -> list[str]:
    """The incidents following at least one issue, in a stable order."""
    query = select(IssueFollow.incident_sys_id).distinct().order_by(IssueFollow.incident_sys_id)
    return list(session.scalars(query))


def take_follows(session: Session, sys_id: str) -> list[IssueFollow]:
    """The incident's follows after a write to them (see ``take_ledger``)."""
    session.execute(
        update(IssueFollow)
        .where(IssueFollow.incident_sys_id == sys_id)
        .values(posts_posted=IssueFollow.posts_posted)
        .execution_options(synchronize_session=False)
    )
    query = (
        select(IssueFollow)
        .where(IssueFollow.incident_sys_id == sys_id)
        .order_by(IssueFollow.issue_id)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def unfollow(session: Session, sys_id: str, issue_ids: Collection[str] | None = None) -> None:
    """Stop following (all of the incident's issues when ``issue_ids`` is None)."""
    query = delete(IssueFollow).where(IssueFollow.incident_sys_id == sys_id)
    if issue_ids is not None:
        query = query.where(IssueFollow.issue_id.in_(list(issue_ids)))
    session.execute(query)
