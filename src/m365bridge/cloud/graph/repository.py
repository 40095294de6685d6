"""All SQL of the Graph service communications: issues and messages of one tenant at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from m365bridge.cloud.graph.models import ServiceHealthIssue, ServiceUpdateMessage
from m365bridge.cloud.graph.odata import OrderKey
from m365bridge.cloud.graph.paging import after_condition, order_clauses

Row = TypeVar("Row", bound=ServiceHealthIssue | ServiceUpdateMessage)


def page(
    session: Session,
    model: type[Row],
    tenant_id: str,
    condition: ColumnElement[bool] | None,
    keys: list[OrderKey],
    *,
    after: list[Any] | None,
    skip: int,
    limit: int,
) -> Sequence[Row]:
    """One page of a tenant's rows in the order of ``keys``, starting after the key values ``after``."""
    query = select(model).where(model.tenant_id == tenant_id)
    if condition is not None:
        query = query.where(condition)
    if after is not None:
        query = query.where(after_condition(keys, after))
    query = query.order_by(*order_clauses(keys)).offset(skip).limit(limit)
    return session.scalars(query).all()


def count(session: Session, model: type[Row], tenant_id: str, condition: ColumnElement[bool] | None) -> int:
    query = select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
    if condition is not None:
        query = query.where(condition)
    return session.scalar(query) or 0


def get_issue(session: Session, tenant_id: str, issue_id: str) -> ServiceHealthIssue | None:
    return session.get(ServiceHealthIssue, (tenant_id, issue_id))


def get_message(session: Session, tenant_id: str, message_id: str) -> ServiceUpdateMessage | None:
    return session.get(ServiceUpdateMessage, (tenant_id, message_id))


def issues_of(session: Session, tenant_id: str, *, open_only: bool = False) -> Sequence[ServiceHealthIssue]:
    query = select(ServiceHealthIssue).where(ServiceHealthIssue.tenant_id == tenant_id)
    if open_only:
        query = query.where(ServiceHealthIssue.is_resolved.is_(False))
    return session.scalars(query.order_by(ServiceHealthIssue.start.desc(), ServiceHealthIssue.id)).all()


def issue_ids_starting(session: Session, tenant_id: str, prefix: str) -> set[str]:
    query = select(ServiceHealthIssue.id).where(
        ServiceHealthIssue.tenant_id == tenant_id, ServiceHealthIssue.id.startswith(prefix)
    )
    return set(session.scalars(query))


def messages_by_id(session: Session, tenant_id: str, ids: Sequence[str]) -> dict[str, ServiceUpdateMessage]:
    found: dict[str, ServiceUpdateMessage] = {}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        query = select(ServiceUpdateMessage).where(
            ServiceUpdateMessage.tenant_id == tenant_id, ServiceUpdateMessage.id.in_(chunk)
        )
        found.update((message.id, message) for message in session.scalars(query))
    return found


def delete_messages(session: Session, tenant_id: str, ids: Sequence[str]) -> None:
    for start in range(0, len(ids), 500):
        session.execute(
            delete(ServiceUpdateMessage).where(
                ServiceUpdateMessage.tenant_id == tenant_id,
                ServiceUpdateMessage.id.in_(ids[start : start + 500]),
            )
        )


def add(session: Session, row: ServiceHealthIssue | ServiceUpdateMessage) -> None:
    session.add(row)
