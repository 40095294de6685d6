"""The doctor: every check, stored facts first, then the live ones; the CLI and the page only show it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.troubleshooting import checks, live
from m365bridge.connector.troubleshooting.report import CheckResult, DoctorReport, Failure
from m365bridge.shared.db import transaction

StoredCheck = Callable[[Session], list[Failure]]

STORED_CHECKS: tuple[tuple[str, tuple[int, ...], StoredCheck], ...] = (
    ("Microsoft 365 support tab visible to agents", (1,), checks.tab_visibility),
    ("Setup finished and confirmed", (2, 3, 4, 5, 6, 7), checks.setup_gate),
    ("Contact Microsoft support reaches the service", (13,), checks.case_network),
    ("Stored recommended solutions have their incident", (14,), checks.stored_insights),
    ("Ticket details saved", (16,), checks.ticket_details),
)


def run_doctor(context: ConnectorContext, *, live_checks: bool = True) -> DoctorReport:
    """Run every check; nothing is changed (the live checks only add their calls to the HTTP log)."""
    report = DoctorReport()
    with transaction(context.sessions) as session:
        for name, rows, check in STORED_CHECKS:
            report.results.append(CheckResult(name, rows, tuple(check(session))))
    report.results.append(_connectivity(context, live_checks))
    report.results.sort(key=lambda result: result.rows[0])
    return report


def _connectivity(context: ConnectorContext, live_checks: bool) -> CheckResult:
    name, rows = "Outbound token and support service answer", (9, 10, 11, 12)
    if not live_checks:
        return CheckResult(name, rows, skipped="live checks are switched off (--offline)")
    where = live.target(context)
    if isinstance(where, str):
        return CheckResult(name, rows, skipped=where)
    return CheckResult(name, rows, tuple(live.connectivity(context, where)))
