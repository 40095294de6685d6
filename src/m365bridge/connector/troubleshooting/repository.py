"""The doctor's queries: who lacks the tab's roles, and which incidents stored answers and cases name (the
service desk then says which of those it still has)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from m365bridge.connector.cases.models import SupportCase
from m365bridge.connector.insights.models import InsightResult
from m365bridge.connector.servicedesk.models import DeskWrite
from m365bridge.connector.users.models import User, UserRole


def active_users_with_role(session: Session, role: str) -> Sequence[User]:
    query = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == role, User.active.is_(True))
        .order_by(User.user_name)
    )
    return session.scalars(query).all()


def insight_incidents(session: Session) -> list[tuple[str, int]]:
    """(incident sys_id, stored answers) for every incident with stored insights, by sys_id."""
    query = (
        select(InsightResult.incident_sys_id, func.count())
        .group_by(InsightResult.incident_sys_id)
        .order_by(InsightResult.incident_sys_id)
    )
    return [(sys_id, int(count)) for sys_id, count in session.execute(query)]


def all_cases(session: Session) -> Sequence[SupportCase]:
    """Every stored case, oldest first."""
    return session.scalars(select(SupportCase).order_by(SupportCase.created_at)).all()


def undelivered_desk_writes(session: Session) -> Sequence[DeskWrite]:
    """Desk-outbox writes tried at least once and not delivered, newest first."""
    query = (
        select(DeskWrite)
        .where(DeskWrite.delivered_at.is_(None), DeskWrite.attempts > 0)
        .order_by(DeskWrite.id.desc())
    )
    return session.scalars(query).all()
