"""All SQL of the incident table, its journal and its number counter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from m365bridge.connector.incidents import encoded_query
from m365bridge.connector.incidents.encoded_query import EncodedQuery, FieldMap
from m365bridge.connector.incidents.models import Incident, JournalEntry, NumberCounter
from m365bridge.connector.incidents.table import INCIDENT_FIELDS, JOURNAL_FIELDS
from m365bridge.connector.users.models import User

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing and how many rows match in all (the Table API's ``X-Total-Count``)."""

    rows: Sequence[T]
    total: int


def get(session: Session, sys_id: str) -> Incident | None:
    return session.get(Incident, sys_id)


def by_number(session: Session, number: str) -> Incident | None:
    return session.scalars(select(Incident).where(Incident.number == number)).first()


def next_number(session: Session, table: str, prefix: str, *, start: int = 10000, digits: int = 7) -> str:
    """The table's next number, e.g. ``INC0010001``.

    The counter row is incremented in place (``UPDATE … RETURNING``), so the database serialises concurrent
    inserts on that row and no two transactions get the same number. The row is created on first use; a
    concurrent creator loses on the primary key and simply increments the winner's row.
    """
    bump = (
        update(NumberCounter)
        .where(NumberCounter.table == table)
        .values(last_number=NumberCounter.last_number + 1)
        .returning(NumberCounter.prefix, NumberCounter.last_number, NumberCounter.digits)
        .execution_options(synchronize_session=False)
    )
    row = session.execute(bump).one_or_none()
    if row is None:
        try:
            with session.begin_nested():
                session.execute(
                    insert(NumberCounter).values(table=table, prefix=prefix, last_number=start, digits=digits)
                )
        except IntegrityError:
            pass  # another transaction created the counter first; the bump below uses its row
        row = session.execute(bump).one()
    return f"{row.prefix}{row.last_number:0{row.digits}d}"


def _page(
    session: Session,
    statement: Select[Any],
    query: EncodedQuery,
    fields: FieldMap,
    window: tuple[int, int],
    tie_breaker: ColumnElement[Any],
) -> Page[Any]:
    limit, offset = window
    condition = encoded_query.compile_query(query, fields)
    if condition is not None:
        statement = statement.where(condition)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    order = [*encoded_query.compile_order(query, fields), tie_breaker]
    rows = session.scalars(statement.order_by(*order).limit(limit).offset(offset)).all()
    return Page(rows=rows, total=total)


def list_incidents(session: Session, query: EncodedQuery, *, limit: int, offset: int = 0) -> Page[Incident]:
    return _page(session, select(Incident), query, INCIDENT_FIELDS, (limit, offset), Incident.number.asc())


def list_journal_entries(
    session: Session, query: EncodedQuery, *, limit: int, offset: int = 0
) -> Page[JournalEntry]:
    newest_first = JournalEntry.sys_created_on.desc()
    return _page(session, select(JournalEntry), query, JOURNAL_FIELDS, (limit, offset), newest_first)


def journal_for(session: Session, element_id: str, elements: Collection[str]) -> Sequence[JournalEntry]:
    """A record's journal, newest first, as ServiceNow's activity stream shows it."""
    statement = (
        select(JournalEntry)
        .where(JournalEntry.element_id == element_id, JournalEntry.element.in_(list(elements)))
        .order_by(JournalEntry.sys_created_on.desc(), JournalEntry.sys_id)
    )
    return session.scalars(statement).all()


def journals_for(
    session: Session, element_ids: Collection[str], elements: Collection[str]
) -> Sequence[JournalEntry]:
    """The journals of a page of records in one query, newest first."""
    statement = (
        select(JournalEntry)
        .where(JournalEntry.element_id.in_(list(element_ids)), JournalEntry.element.in_(list(elements)))
        .order_by(JournalEntry.sys_created_on.desc(), JournalEntry.sys_id)
    )
    return session.scalars(statement).all()


_INSERT_JOURNAL = insert(cast(Table, JournalEntry.__table__))


def insert_journal_entries(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Journal rows (every column given) by one prebuilt Core executemany, without a session or ORM objects
    (hot paths)."""
    connection.execute(_INSERT_JOURNAL, rows)


_INCIDENT_NUMBERS = select(Incident.sys_id, Incident.number).where(
    Incident.sys_id.in_(bindparam("sys_ids", expanding=True))
)


def incident_numbers(connection: Connection, sys_ids: Collection[str]) -> dict[str, str]:
    """sys_id → number of those of ``sys_ids`` that exist, by one prebuilt Core query (hot path)."""
    rows = connection.execute(_INCIDENT_NUMBERS, {"sys_ids": list(sys_ids)})
    return {row.sys_id: row.number for row in rows}


def changed_after(
    session: Session, after: tuple[dt.datetime, str] | None, *, limit: int
) -> Sequence[Incident]:
    """Incidents in ``(sys_updated_on, sys_id)`` order after that position (from the start when None)."""
    statement = select(Incident)
    if after is not None:
        updated_on, sys_id = after
        statement = statement.where(
            or_(
                Incident.sys_updated_on > updated_on,
                and_(Incident.sys_updated_on == updated_on, Incident.sys_id > sys_id),
            )
        )
    statement = statement.order_by(Incident.sys_updated_on, Incident.sys_id).limit(limit)
    return session.scalars(statement).all()


def get_journal_entry(session: Session, sys_id: str) -> JournalEntry | None:
    return session.get(JournalEntry, sys_id)


def delete(session: Session, incident: Incident) -> None:
    session.delete(incident)


def user_display_names(session: Session, ids: Collection[str]) -> dict[str, str]:
    """Display values (name, else user name) of the referenced users, in one query for a whole page."""
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.name, User.user_name).where(User.id.in_(list(ids))))
    return {row.id: row.name or row.user_name for row in rows}


def find_user(session: Session, reference: str) -> User | None:
    """A user named by sys_id or, as ServiceNow also accepts for references, by user name."""
    return (
        session.get(User, reference)
        or session.scalars(select(User).where(User.user_name == reference)).first()
    )
