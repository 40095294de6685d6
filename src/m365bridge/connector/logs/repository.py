"""All SQL about the system log and the outbound HTTP log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from m365bridge.connector.logs.models import OutboundHttpRequest, SystemLogLine


def search_lines(
    session: Session,
    *,
    source: str | None,
    levels: Sequence[str] | None,
    since: dt.datetime | None,
    text: str | None,
    limit: int,
) -> Sequence[SystemLogLine]:
    """Newest first; ``levels`` None means any level."""
    query = select(SystemLogLine).order_by(SystemLogLine.created_at.desc()).limit(limit)
    if source:
        query = query.where(SystemLogLine.source == source)
    if levels is not None:
        query = query.where(SystemLogLine.level.in_(levels))
    if since:
        query = query.where(SystemLogLine.created_at >= since)
    if text:
        query = query.where(SystemLogLine.message.contains(text, autoescape=True))
    return session.scalars(query).all()


def delete_lines_before(session: Session, cutoff: dt.datetime) -> int:
    result = session.execute(delete(SystemLogLine).where(SystemLogLine.created_at < cutoff))
    return _rowcount(result)


def search_requests(
    session: Session,
    *,
    host: str | None,
    source: str | None,
    since: dt.datetime | None,
    errors_only: bool,
    limit: int,
) -> Sequence[OutboundHttpRequest]:
    query = select(OutboundHttpRequest).order_by(OutboundHttpRequest.id.desc()).limit(limit)
    if host:
        query = query.where(OutboundHttpRequest.host == host)
    if source:
        query = query.where(OutboundHttpRequest.source == source)
    if since:
        query = query.where(OutboundHttpRequest.created_at >= since)
    if errors_only:
        query = query.where((OutboundHttpRequest.error.is_not(None)) | (OutboundHttpRequest.status >= 400))
    return session.scalars(query).all()


def delete_requests_before(session: Session, cutoff: dt.datetime) -> int:
    result = session.execute(delete(OutboundHttpRequest).where(OutboundHttpRequest.created_at < cutoff))
    return _rowcount(result)


def _rowcount(result: object) -> int:
    return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0
