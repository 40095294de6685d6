"""The doctor's queries: who lacks the tab's roles, and stored answers that lost their incident."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from m365bridge.connector.cases.models import SupportCase
from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.insights.models import InsightResult
from m365bridge.connector.users.models import User, UserRole


def active_users_with_role(session: Session, role: str) -> Sequence[User]:
    query = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == role, User.active.is_(True))
        .order_by(User.user_name)
    )
    return session.scalars(query).all()


def orphan_insight_incidents(session: Session) -> list[tuple[str, int]]:
    """(incident sys_id, stored answers) for stored insights whose incident no longer exists."""
    query = (
        select(InsightResult.incident_sys_id, func.count())
        .outerjoin(Incident, Incident.sys_id == InsightResult.incident_sys_id)
        .where(Incident.sys_id.is_(None))
        .group_by(InsightResult.incident_sys_id)
        .order_by(InsightResult.incident_sys_id)
    )
    return [(sys_id, int(count)) for sys_id, count in session.execute(query)]


def orphan_cases(session: Session) -> Sequence[SupportCase]:
    """Stored cases whose incident no longer exists."""
    query = (
        select(SupportCase)
        .outerjoin(Incident, Incident.sys_id == SupportCase.incident_sys_id)
        .where(Incident.sys_id.is_(None))
        .order_by(SupportCase.created_at)
    )
    return session.scalars(query).all()
