"""All SQL of cases, their messages and the outbox (including the claim that two workers can share)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Select, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from m365bridge.cloud.cases.models import (
    DEAD,
    DELIVERED,
    PENDING,
    CaseMessage,
    OutboxEvent,
    SupportCase,
)


def case(session: Session, case_id: str) -> SupportCase | None:
    return session.get(SupportCase, case_id)


def case_by_idempotency_key(session: Session, tenant_id: str, key: str) -> SupportCase | None:
    query = select(SupportCase).where(SupportCase.tenant_id == tenant_id, SupportCase.idempotency_key == key)
    return session.scalars(query).first()


def number_taken(session: Session, number: str) -> bool:
    return session.scalar(select(exists().where(SupportCase.number == number))) or False


def cases(
    session: Session,
    *,
    tenant_id: str | None = None,
    repository_id: str | None = None,
    status: str | None = None,
    include_test: bool = True,
    limit: int = 200,
) -> Sequence[SupportCase]:
    query = select(SupportCase).order_by(SupportCase.created_at.desc()).limit(limit)
    if tenant_id is not None:
        query = query.where(SupportCase.tenant_id == tenant_id)
    if repository_id is not None:
        query = query.where(SupportCase.repository_id == repository_id)
    if status is not None:
        query = query.where(SupportCase.status == status)
    if not include_test:
        query = query.where(SupportCase.test_environment.is_(False))
    return session.scalars(query).all()


def next_sequence(session: Session, case_id: str) -> int:
    """Reserve the case's next event number. The UPDATE locks the case row until commit, so concurrent
    writers of one case queue up and the numbers have no gaps or repeats."""
    statement = (
        update(SupportCase)
        .where(SupportCase.id == case_id)
        .values(last_sequence=SupportCase.last_sequence + 1)
        .returning(SupportCase.last_sequence)
    )
    return int(session.execute(statement).scalar_one())


def messages(session: Session, case_id: str) -> Sequence[CaseMessage]:
    query = select(CaseMessage).where(CaseMessage.case_id == case_id).order_by(CaseMessage.created_at)
    return session.scalars(query).all()


def message_by_client_id(session: Session, case_id: str, client_message_id: str) -> CaseMessage | None:
    query = select(CaseMessage).where(
        CaseMessage.case_id == case_id, CaseMessage.client_message_id == client_message_id
    )
    return session.scalars(query).first()


def case_events(session: Session, case_id: str) -> Sequence[OutboxEvent]:
    query = select(OutboxEvent).where(OutboxEvent.case_id == case_id).order_by(OutboxEvent.sequence)
    return session.scalars(query).all()


def event(session: Session, event_id: str) -> OutboxEvent | None:
    return session.get(OutboxEvent, event_id)


def dead_events(session: Session, limit: int = 200) -> Sequence[OutboxEvent]:
    query = (
        select(OutboxEvent).where(OutboxEvent.state == DEAD).order_by(OutboxEvent.occurred_at).limit(limit)
    )
    return session.scalars(query).all()


def count_in_state(session: Session, state: str) -> int:
    counted = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.state == state)
    return session.scalar(counted) or 0


def any_due(session: Session, now: dt.datetime) -> bool:
    """A read-only look, so an idle worker never takes SQLite's write lock (which would make other
    connections' read-then-write transactions fail with "database is locked")."""
    return session.scalar(select(exists(_due(now, 1).subquery()))) or False


def claim_due(
    session: Session, owner: str, now: dt.datetime, lease_until: dt.datetime, limit: int
) -> list[str]:
    """Lease up to ``limit`` due events to ``owner``; returns their ids.

    PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so a second worker passes locked rows over instead of
    waiting, then the lease UPDATE. SQLite has no row locks: one conditional UPDATE takes the lease (its
    first statement is a write, so concurrent workers queue on SQLite's lock rather than race).
    """
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(_due(now, limit).with_for_update(skip_locked=True, of=OutboxEvent)).all())
        return [event_id for event_id in ids if _lease(session, event_id, owner, now, lease_until)]
    statement = (
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(_due(now, limit).correlate(None).scalar_subquery()))
        .values(lease_owner=owner, lease_expires_at=lease_until)
        .returning(OutboxEvent.id)
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(statement).all())


def _due(now: dt.datetime, limit: int) -> Select[str]:
    """Events ready for a try: pending, due, not leased, and every earlier event of the case delivered."""
    earlier = aliased(OutboxEvent)
    blocked = exists().where(
        earlier.case_id == OutboxEvent.case_id,
        earlier.sequence < OutboxEvent.sequence,
        earlier.state != DELIVERED,
    )
    query = (
        select(OutboxEvent.id)
        .where(
            OutboxEvent.state == PENDING,
            OutboxEvent.next_attempt_at <= now,
            or_(OutboxEvent.lease_expires_at.is_(None), OutboxEvent.lease_expires_at < now),
            ~blocked,
        )
        .order_by(OutboxEvent.next_attempt_at, OutboxEvent.sequence)
        .limit(limit)
    )
    return query


def _lease(session: Session, event_id: str, owner: str, now: dt.datetime, lease_until: dt.datetime) -> bool:
    """Take the lease on one event; False when another worker holds it or it is no longer pending."""
    statement = (
        update(OutboxEvent)
        .where(
            OutboxEvent.id == event_id,
            OutboxEvent.state == PENDING,
            or_(OutboxEvent.lease_expires_at.is_(None), OutboxEvent.lease_expires_at < now),
        )
        .values(lease_owner=owner, lease_expires_at=lease_until)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1  # type: ignore[attr-defined]


def finish(session: Session, event_id: str, owner: str, **values: object) -> bool:
    """Record a try's outcome and release the lease, only if this worker still holds it."""
    statement = (
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id, OutboxEvent.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None, attempts=OutboxEvent.attempts + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1  # type: ignore[attr-defined]
