"""All SQL of insights: stored answers per incident and the votes on them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from m365bridge.connector.insights.models import InsightFeedback, InsightResult
from m365bridge.shared.orm import utcnow


def add_result(
    session: Session,
    *,
    incident_sys_id: str,
    incident_number: str,
    query_text: str,
    kind: str,
    result: dict[str, Any],
    by: str,
) -> InsightResult:
    row = InsightResult(
        incident_sys_id=incident_sys_id,
        incident_number=incident_number,
        query_text=query_text,
        kind=kind,
        result=result,
        created_at=utcnow(),
        created_by=by,
    )
    session.add(row)
    session.flush()
    return row


def results_of(session: Session, incident_sys_id: str, limit: int = 10) -> Sequence[InsightResult]:
    """The incident's stored answers, newest first."""
    return session.scalars(
        select(InsightResult)
        .where(InsightResult.incident_sys_id == incident_sys_id)
        .order_by(InsightResult.id.desc())
        .limit(limit)
    ).all()


def set_vote(session: Session, *, incident_sys_id: str, result_id: str, user_id: str, vote: int) -> None:
    row = session.scalar(
        select(InsightFeedback).where(
            InsightFeedback.incident_sys_id == incident_sys_id,
            InsightFeedback.result_id == result_id,
            InsightFeedback.user_id == user_id,
        )
    )
    if row is None:
        session.add(
            InsightFeedback(incident_sys_id=incident_sys_id, result_id=result_id, user_id=user_id, vote=vote)
        )
    else:
        row.vote = vote
    session.flush()


def votes_of(session: Session, incident_sys_id: str, user_id: str) -> dict[str, int]:
    """This user's votes on the incident's results, by result id."""
    rows = session.scalars(
        select(InsightFeedback).where(
            InsightFeedback.incident_sys_id == incident_sys_id, InsightFeedback.user_id == user_id
        )
    )
    return {row.result_id: row.vote for row in rows}
