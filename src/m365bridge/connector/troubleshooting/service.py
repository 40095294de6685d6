"""The doctor: every check, stored facts first, then the live ones; the CLI and the page only show it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicedesk import desk_for
from m365bridge.connector.servicedesk.port import ServiceDesk
from m365bridge.connector.troubleshooting import checks, instance_checks, live
from m365bridge.connector.troubleshooting.report import CheckResult, DoctorReport, Failure
from m365bridge.shared.db import transaction

StoredCheck = Callable[[Session], list[Failure]]
DeskCheck = Callable[[Session, ServiceDesk], list[Failure]]

STORED_CHECKS: tuple[tuple[str, tuple[int, ...], StoredCheck], ...] = (
    ("Microsoft 365 support tab visible to agents", (1,), checks.tab_visibility),
    ("Setup finished and confirmed", (2, 3, 4, 5, 6, 7), checks.setup_gate),
    ("Contact Microsoft support reaches the service", (13,), checks.case_network),
    ("Ticket details saved", (16,), checks.ticket_details),
)
# Stored facts checked against the service desk's incidents.
DESK_CHECKS: tuple[tuple[str, tuple[int, ...], DeskCheck], ...] = (
    ("Stored recommended solutions have their incident", (14,), checks.stored_insights),
    ("Stored cases have their incident", (15,), checks.stored_cases),
)

# A customer's ServiceNow instance (rows 17-24): only when one is configured.
INSTANCE_CHECKS: tuple[tuple[str, tuple[int, ...], StoredCheck], ...] = (
    ("ServiceNow instance failures in the logs", (17, 18, 19, 20, 21, 22), instance_checks.logged_failures),
    ("ServiceNow instance poll succeeds", (23,), instance_checks.poll_failures),
    ("Writes reach the ServiceNow instance", (24,), instance_checks.outbox_failures),
)
LIVE_INSTANCE = ("ServiceNow instance answers (Test connection's probes)", (17, 18, 19, 20, 21, 22))


def run_doctor(context: ConnectorContext, *, live_checks: bool = True) -> DoctorReport:
    """Run every check; nothing is changed (the live checks only add their calls to the HTTP log)."""
    report = DoctorReport()
    with transaction(context.sessions) as session:
        for name, rows, check in STORED_CHECKS:
            report.results.append(CheckResult(name, rows, tuple(check(session))))
        desk = desk_for(context)
        for name, rows, desk_check in DESK_CHECKS:
            report.results.append(CheckResult(name, rows, tuple(desk_check(session, desk))))
        report.instance = instance_checks.configured(session)
        if report.instance:
            for name, rows, check in INSTANCE_CHECKS:
                report.results.append(CheckResult(name, rows, tuple(check(session))))
    report.results.extend(_live(context, live_checks))
    if report.instance:
        report.results.append(_live_instance(context, live_checks))
    report.results.sort(key=lambda result: result.rows[0])
    return report


def _live(context: ConnectorContext, live_checks: bool) -> list[CheckResult]:
    checks_here = (
        ("Outbound token and support service answer", (9, 10, 11, 12), live.connectivity),
        ("Administrators' Microsoft 365 admin accounts", (8,), live.admin_accounts),
    )
    if not live_checks:
        why = "live checks are switched off (--offline)"
        return [CheckResult(name, rows, skipped=why) for name, rows, _ in checks_here]
    where = live.target(context)
    if isinstance(where, str):
        return [CheckResult(name, rows, skipped=where) for name, rows, _ in checks_here]
    return [CheckResult(name, rows, tuple(check(context, where))) for name, rows, check in checks_here]


def _live_instance(context: ConnectorContext, live_checks: bool) -> CheckResult:
    name, rows = LIVE_INSTANCE
    if not live_checks:
        return CheckResult(name, rows, skipped="live checks are switched off (--offline)")
    return CheckResult(name, rows, tuple(instance_checks.live_failures(context)))
