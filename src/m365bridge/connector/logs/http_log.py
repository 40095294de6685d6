"""The outbound HTTP log (ServiceNow's ``sys_outbound_http_log``): one row per request the connector sends.

Rows hold the method, the URL with secret query values redacted, the status, the duration and the error;
never a body, since token requests carry client secrets in theirs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from m365bridge.connector.db import Base
from m365bridge.shared.orm import UTCDateTime, utcnow

REDACTED = "REDACTED"
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "client_assertion",
        "client_secret",
        "code",
        "id_token",
        "password",
        "refresh_token",
        "sig",
        "token",
    }
)


class OutboundHttpRequest(Base):
    __tablename__ = "outbound_http_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    method: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


def redact_url(url: str) -> str:
    """The URL with secret query values and any userinfo password replaced, safe to store and show."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}:{REDACTED}@{host}" if ":" in userinfo else netloc
    query = urlencode(
        [
            (name, REDACTED if name.lower() in SECRET_PARAMS else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="$,:@/'",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def record(
    session: Session,
    *,
    source: str,
    method: str,
    url: str,
    status: int | None,
    duration_ms: int,
    error: str | None = None,
) -> OutboundHttpRequest:
    row = OutboundHttpRequest(
        source=source,
        method=method,
        url=redact_url(url),
        host=urlsplit(url).hostname or "",
        status=status,
        duration_ms=duration_ms,
        error=error,
    )
    session.add(row)
    return row


def search(
    session: Session,
    *,
    host: str | None = None,
    source: str | None = None,
    since: dt.datetime | None = None,
    errors_only: bool = False,
    limit: int = 200,
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


def purge(session: Session, *, retention_days: int, now: dt.datetime | None = None) -> int:
    """Delete rows older than the retention; returns how many went."""
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
    result = session.execute(delete(OutboundHttpRequest).where(OutboundHttpRequest.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
