"""The outbound HTTP log (ServiceNow's ``sys_outbound_http_log``): one row per request the connector sends.

Rows hold the method, the URL with secret query values redacted, the status, the duration and the error;
never a body, since token requests carry client secrets in theirs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.orm import Session

from m365bridge.connector.logs import repository
from m365bridge.connector.logs.models import OutboundHttpRequest
from m365bridge.shared.orm import utcnow

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
    return repository.search_requests(
        session, host=host, source=source, since=since, errors_only=errors_only, limit=limit
    )


def purge(session: Session, *, retention_days: int, now: dt.datetime | None = None) -> int:
    """Delete rows older than the retention; returns how many went."""
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
    return repository.delete_requests_before(session, cutoff)
