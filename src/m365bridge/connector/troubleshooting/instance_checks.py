"""The doctor's checks on a customer's ServiceNow instance (rows 17-24), run only when one is configured.

Stored facts: the system-log lines the instance adapter writes for each failure (``errors.log_failure``),
unless a later successful call shows it fixed; the poll's calls in the outbound HTTP log; the desk outbox's
undelivered writes. Live: the read-only probes of Test connection, without writing log lines of their own.
Every failure carries the matching outbound call (status, URL with secrets redacted, time), never a secret.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import itertools
from collections.abc import Callable

from sqlalchemy.orm import Session

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.logs import http_log
from m365bridge.connector.logs.models import OutboundHttpRequest, SystemLogLine
from m365bridge.connector.servicenow import errors
from m365bridge.connector.servicenow import service as instance
from m365bridge.connector.servicenow.connection_test import WORK_NOTE_ROLES
from m365bridge.connector.troubleshooting import evidence, repository
from m365bridge.connector.troubleshooting.report import Failure
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow

KIND_ROWS = {
    errors.InstanceUnreachable.kind: 17,
    errors.NotJson.kind: 18,
    errors.Unauthorized.kind: 19,
    errors.TokenRefused.kind: 19,
    errors.Forbidden.kind: 20,
    errors.MissingRoles.kind: 21,
    errors.ClockSkew.kind: 22,
}
INSTANCE_LINE = "ServiceNow instance:"  # how every line of errors.log_failure starts
POLL_STALE = dt.timedelta(minutes=15)
POLL_MARK = "sys_updated_on"  # only the poll's incident query orders on it

CallMatch = Callable[[OutboundHttpRequest], bool]
_MATCHES: dict[str, CallMatch] = {
    errors.InstanceUnreachable.kind: lambda call: call.status is None,
    errors.Unauthorized.kind: lambda call: call.status == 401,
    errors.TokenRefused.kind: lambda call: "oauth_token.do" in call.url and (call.status or 0) >= 400,
    errors.Forbidden.kind: lambda call: call.status == 403,
    errors.MissingRoles.kind: lambda call: "sys_user_has_role" in call.url,
}


def configured(session: Session) -> bool:
    return instance.find_connection(session) is not None


def instance_calls(session: Session) -> list[OutboundHttpRequest]:
    """The calls of the last day to the instance, newest first."""
    return list(http_log.search(session, source=instance.LOG_SOURCE, since=evidence.since()))


def _ok(call: OutboundHttpRequest) -> bool:
    return call.status is not None and call.status < 400 and not call.error


def _matching_call(calls: list[OutboundHttpRequest], kind: str, until: dt.datetime) -> tuple[str, ...]:
    """The newest call at or before ``until`` that shows the failure (any call when none fits better)."""
    before = [call for call in calls if call.created_at <= until]
    match = _MATCHES.get(kind, lambda call: True)
    found = next((call for call in before if match(call)), before[0] if before else None)
    return (evidence.describe_call(found),) if found else ()


def logged_failures(session: Session) -> list[Failure]:
    """Rows 17-22 from the adapter's system-log lines: the newest line of each kind, unless a successful
    call to the instance came after it (the failure was fixed since)."""
    calls = instance_calls(session)
    last_ok = next((call.created_at for call in calls if _ok(call)), None)
    failures: list[Failure] = []
    seen: set[str] = set()
    for line in evidence.log_lines(session, INSTANCE_LINE):
        kind = str((line.context or {}).get("kind", ""))
        if kind not in KIND_ROWS or kind in seen:
            continue
        seen.add(kind)
        if last_ok is not None and last_ok > line.created_at:
            continue
        failures.append(_logged(line, kind, calls))
    return failures


def _logged(line: SystemLogLine, kind: str, calls: list[OutboundHttpRequest]) -> Failure:
    message = line.message.removeprefix(INSTANCE_LINE).strip()
    shown = (evidence.describe_line(line), *_matching_call(calls, kind, line.created_at))
    return Failure((KIND_ROWS[kind],), message, shown)


def poll_failures(session: Session, *, now: dt.datetime | None = None) -> list[Failure]:
    """Row 23: every poll call since the last success failed, the first of them ``POLL_STALE`` ago or more."""
    polls = [
        call
        for call in instance_calls(session)
        if call.method == "GET" and "/table/incident" in call.url and POLL_MARK in call.url
    ]
    failing = list(itertools.takewhile(lambda call: not _ok(call), polls))
    if not failing or (now or utcnow()) - failing[-1].created_at < POLL_STALE:
        return []
    minutes = int(POLL_STALE.total_seconds() // 60)
    last_ok = (
        f"the last success at {polls[len(failing)].created_at:%Y-%m-%d %H:%M:%S} UTC"
        if len(polls) > len(failing)
        else "no success in the last day"
    )
    finding = (
        f"The poll for changed incidents has not succeeded for more than {minutes} minutes: "
        f"{len(failing)} failed calls since {failing[-1].created_at:%Y-%m-%d %H:%M:%S} UTC ({last_ok})."
    )
    return [Failure((23,), finding, evidence.calls(failing))]


def outbox_failures(session: Session) -> list[Failure]:
    """Row 24: writes for the instance tried and not delivered, with the newest failed write call."""
    stuck = repository.undelivered_desk_writes(session)
    if not stuck:
        return []
    writes = [
        call for call in instance_calls(session) if call.method in ("POST", "PATCH", "PUT") and not _ok(call)
    ]
    newest = stuck[0]
    gave_up = sum(1 for write in stuck if write.failed)
    finding = (
        f"{len(stuck)} write(s) for the instance are not delivered ({gave_up} given up); the newest, "
        f"{newest.operation} on incident {newest.incident_sys_id or '(new)'} after {newest.attempts} "
        f"attempt(s), failed with: {newest.last_error or 'no error recorded'}"
    )
    return [Failure((24,), finding, evidence.calls(writes))]


def live_failures(context: ConnectorContext) -> list[Failure]:
    """The read-only probes of Test connection; the calls go out before any session is opened."""
    found: errors.ServiceNowError | None = None
    client = instance.open_client(context)
    try:
        client.reachable()
        client.probe("incident")
        client.probe("sys_journal_field")
        found = _roles_or_clock(context, client.own_roles(), client.last_date)
    except errors.ServiceNowError as error:
        found = error
    finally:
        client.close()
    if found is None:
        return []
    with transaction(context.sessions) as session:
        shown = _matching_call(instance_calls(session), found.kind, utcnow())
    return [Failure((KIND_ROWS.get(found.kind, 17),), f"Live: {found.explain()}", shown)]


def _roles_or_clock(
    context: ConnectorContext, roles: frozenset[str], date: str | None
) -> errors.ServiceNowError | None:
    if not roles & WORK_NOTE_ROLES:
        return errors.MissingRoles(
            f"The account holds none of {', '.join(sorted(WORK_NOTE_ROLES))} "
            f"(it holds: {', '.join(sorted(roles)) or 'no roles'}).",
            fix="Grant the integration account the itil role.",
        )
    if not date:
        return None
    try:
        skew = (email.utils.parsedate_to_datetime(date) - utcnow()).total_seconds()
    except (TypeError, ValueError):
        return None
    allowed = context.settings.servicenow_max_clock_skew_seconds
    if abs(skew) <= allowed:
        return None
    ahead = "ahead of" if skew > 0 else "behind"
    return errors.ClockSkew(
        f"The instance's clock is {abs(skew):.0f} s {ahead} this machine's (more than {allowed} s).",
        fix="Synchronise this machine's clock (NTP).",
    )
