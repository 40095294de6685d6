"""Test connection for an instance: four checks that change nothing on it.

1. reachable, and the Table API answers JSON (one unauthenticated GET);
2. the credentials work (a token from ``/oauth_token.do`` for OAuth, then one authenticated read);
3. the account may read incidents and their work-note journal, and holds a role that writes work notes
   (its own ``sys_user_has_role`` rows);
4. the instance's ``Date`` header agrees with this machine's clock.

Only GETs and a token grant reach the instance. A failed check writes a system-log line (the guide's D1)
after the calls, in a writer unit of its own.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicenow import errors
from m365bridge.connector.servicenow.client import InstanceClient
from m365bridge.connector.users.roles import ADMIN, INCIDENT_MANAGER, ITIL
from m365bridge.shared.db import transaction

# Any of these lets an account write work notes on incidents (ServiceNow's own defaults).
WORK_NOTE_ROLES = frozenset({ITIL, INCIDENT_MANAGER, ADMIN, "sn_incident_write"})


class Outcome(StrEnum):
    PASSED = "passed"
    WARNING = "warning"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class CheckResult:
    name: str
    outcome: Outcome
    message: str


REACHABLE = "Instance reachable, answers JSON"
CREDENTIALS = "Credentials accepted"
ROLES = "Can read incidents and write work notes"
CLOCK = "Clocks agree"


def run_checks(
    context: ConnectorContext,
    client: InstanceClient,
    *,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> list[CheckResult]:
    results: list[CheckResult] = []
    failures: list[tuple[str, errors.ServiceNowError]] = []

    def failed(name: str, error: errors.ServiceNowError) -> CheckResult:
        failures.append((name, error))
        return CheckResult(name, Outcome.FAILED, error.explain())

    try:
        status = client.reachable()
        results.append(CheckResult(REACHABLE, Outcome.PASSED, f"the Table API answered JSON (HTTP {status})"))
    except errors.ServiceNowError as error:
        results.append(failed(REACHABLE, error))
    if results[-1].outcome is Outcome.PASSED:
        results.append(_credentials(client, failed))
    if results[-1].outcome is Outcome.PASSED:
        results.append(_roles(client, failed))
    results.append(_clock(context, client, now(), failed))
    for name in (CREDENTIALS, ROLES):
        if all(r.name != name for r in results):
            results.insert(-1, CheckResult(name, Outcome.SKIPPED, "skipped: an earlier check failed"))
    _log(context, client.base_url, failures)
    return results


def _credentials(
    client: InstanceClient, failed: Callable[[str, errors.ServiceNowError], CheckResult]
) -> CheckResult:
    try:
        client.probe("incident")
    except (errors.Forbidden, errors.RecordNotFound):
        pass  # signed in, refused by an ACL: the roles check says what is missing
    except errors.ServiceNowError as error:
        return failed(CREDENTIALS, error)
    return CheckResult(CREDENTIALS, Outcome.PASSED, "the instance accepted the account")


def _roles(
    client: InstanceClient, failed: Callable[[str, errors.ServiceNowError], CheckResult]
) -> CheckResult:
    try:
        client.probe("incident")
        client.probe("sys_journal_field")
    except errors.ServiceNowError as error:
        return failed(ROLES, error)
    try:
        roles = client.own_roles()
    except (errors.Forbidden, errors.RequestRefused, errors.RecordNotFound) as error:
        return CheckResult(
            ROLES,
            Outcome.WARNING,
            "incidents and work notes can be read, but the account's roles could not be read "
            f"({error}); writing work notes is not confirmed. Give the account read on sys_user_has_role, "
            "or check yourself that it holds itil.",
        )
    except errors.ServiceNowError as error:
        return failed(ROLES, error)
    if roles & WORK_NOTE_ROLES:
        held = ", ".join(sorted(roles & WORK_NOTE_ROLES))
        return CheckResult(ROLES, Outcome.PASSED, f"reads incidents and work notes; writes with role {held}")
    missing = errors.MissingRoles(
        f"The account reads incidents but holds none of {', '.join(sorted(WORK_NOTE_ROLES))} "
        f"(it holds: {', '.join(sorted(roles)) or 'no roles'}), so it cannot write work notes.",
        fix="Grant the integration account the itil role (User Administration > Users > Roles).",
    )
    return failed(ROLES, missing)


def _clock(
    context: ConnectorContext,
    client: InstanceClient,
    now: dt.datetime,
    failed: Callable[[str, errors.ServiceNowError], CheckResult],
) -> CheckResult:
    if not client.last_date:
        return CheckResult(CLOCK, Outcome.SKIPPED, "skipped: the instance sent no Date header")
    try:
        theirs = email.utils.parsedate_to_datetime(client.last_date)
    except (TypeError, ValueError):
        return CheckResult(CLOCK, Outcome.SKIPPED, f"skipped: unreadable Date header {client.last_date!r}")
    skew = (theirs - now).total_seconds()
    allowed = context.settings.servicenow_max_clock_skew_seconds
    if abs(skew) <= allowed:
        return CheckResult(
            CLOCK, Outcome.PASSED, f"the clocks differ by {abs(skew):.0f} s (at most {allowed} s)"
        )
    ahead = "ahead of" if skew > 0 else "behind"
    error = errors.ClockSkew(
        f"The instance's clock is {abs(skew):.0f} s {ahead} this machine's (more than {allowed} s).",
        fix="Synchronise this machine's clock (NTP): token lifetimes and the poll's sys_updated_on "
        "watermark assume the clocks agree.",
    )
    return failed(CLOCK, error)


def _log(context: ConnectorContext, url: str, failures: list[tuple[str, errors.ServiceNowError]]) -> None:
    if not failures:
        return
    with transaction(context.sessions, write=True) as session:
        for name, error in failures:
            errors.log_failure(session, error, operation=f"Test connection ({name})", instance_url=url)
