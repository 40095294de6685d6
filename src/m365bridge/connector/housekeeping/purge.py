"""One purge pass over every table that only grows: safe to run twice, each part in its own transaction."""

from __future__ import annotations

from m365bridge.connector.auth.authcode import service as authcode
from m365bridge.connector.auth.oauth import service as oauth
from m365bridge.connector.auth.sessions import service as sessions
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.logs import http_log, system_log
from m365bridge.shared.db import transaction


def purge_all(context: ConnectorContext) -> dict[str, int]:
    """Delete what the retention settings say is old; returns rows removed per table (for the log)."""
    settings = context.settings
    removed: dict[str, int] = {}
    with transaction(context.sessions, write=True) as session:
        removed["syslog"] = system_log.purge(session, settings.system_log_retention_days)
    with transaction(context.sessions, write=True) as session:
        removed["outbound_http_log"] = http_log.purge(
            session, retention_days=settings.http_log_retention_days
        )
    with transaction(context.sessions, write=True) as session:
        removed["login_failure"] = sessions.purge_failures(session, settings)
    with transaction(context.sessions, write=True) as session:
        removed["ui_session"] = sessions.purge_idle(session, settings.session_idle_minutes)
    with transaction(context.sessions, write=True) as session:
        removed["oauth_token"] = oauth.purge_tokens(session)
    with transaction(context.sessions, write=True) as session:
        removed["oauth_auth_code"] = authcode.purge_codes(session)
    return removed
