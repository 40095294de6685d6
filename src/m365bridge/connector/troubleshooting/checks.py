"""Checks on stored facts: roles, the setup gate, stored answers, and failures the logs recorded.

Each check reads in the caller's session and returns its failures; none changes anything.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from m365bridge.connector.cases.service import TICKET_NOT_SAVED
from m365bridge.connector.servicedesk.port import ServiceDesk
from m365bridge.connector.setup.gate import SETUP_INCOMPLETE, SETUP_NOT_CONFIRMED, current_setup
from m365bridge.connector.setup.modes import FEATURES
from m365bridge.connector.troubleshooting import evidence, repository
from m365bridge.connector.troubleshooting.report import Failure
from m365bridge.connector.users.roles import ADMIN, APP_ADMINISTRATOR, INSIGHTS_USER, ITIL

TAB_ROLES = frozenset({INSIGHTS_USER, APP_ADMINISTRATOR, ADMIN})
HIDDEN_TAB = "The Microsoft 365 support tab is hidden from"


def tab_visibility(session: Session) -> list[Failure]:
    """Row 1: agents (itil) who do not see the tab."""
    failures = []
    for user in repository.active_users_with_role(session, ITIL):
        if user.roles & TAB_ROLES:
            continue
        hidden = evidence.log_lines(session, HIDDEN_TAB)
        shown = [line for line in hidden if (line.context or {}).get("user") == user.user_name]
        failures.append(
            Failure(
                (1,),
                f"User '{user.user_name}' has the itil role but neither {INSIGHTS_USER} nor "
                f"{APP_ADMINISTRATOR}: the incident form (the only view) hides the tab from them.",
                evidence.lines(shown),
            )
        )
    return failures


def setup_gate(session: Session) -> list[Failure]:
    """Rows 2-7: the gate the tab's actions pass, read the way they read it."""
    view = current_setup(session)
    if view is None or view.mode is None or not view.finished:
        where = "no mode chosen" if view is None or view.mode is None else "the steps are not finished"
        rows: tuple[int, ...] = (2, 4, 6)
        return [Failure(rows, f"Setup is not finished ({where}).", _gate_lines(session, SETUP_INCOMPLETE))]
    if not view.confirmed:
        rows = (3, 5, 7) if "cases" in FEATURES[view.mode] else (3, 5)
        return [
            Failure(
                rows,
                f"Setup ({view.mode.value}) is finished but not confirmed: Test connection has not passed "
                "or Next on the last step was not pressed.",
                _gate_lines(session, SETUP_NOT_CONFIRMED),
            )
        ]
    return []


def _gate_lines(session: Session, message: str) -> tuple[str, ...]:
    return evidence.lines(evidence.log_lines(session, message))


def _known(session: Session, desk: ServiceDesk, sys_ids: set[str]) -> set[str]:
    return set(desk.incident_numbers(session.connection(), sys_ids)) if sys_ids else set()


def stored_insights(session: Session, desk: ServiceDesk) -> list[Failure]:
    """Row 14: stored recommended solutions whose incident is gone (deleted or re-created)."""
    stored = repository.insight_incidents(session)
    known = _known(session, desk, {sys_id for sys_id, _ in stored})
    orphans = [(sys_id, count) for sys_id, count in stored if sys_id not in known]
    if not orphans:
        return []
    return [
        Failure(
            (14,),
            f"{len(orphans)} incident(s) with stored recommended solutions no longer exist; an incident "
            "re-created in their place has a new sys_id and shows none of them.",
            tuple(
                f"x_mioms_m365_assis_insight: {count} stored answer(s) for missing incident {sys_id}"
                for sys_id, count in orphans[: evidence.SHOWN]
            ),
        )
    ]


def ticket_details(session: Session) -> list[Failure]:
    """Row 16: saving a case's contact details failed recently."""
    found = evidence.log_lines(session, TICKET_NOT_SAVED)
    if not found:
        return []
    finding = f"{len(found)} ticket-details save(s) failed in the last day."
    return [Failure((16,), finding, evidence.lines(found))]


def case_network(session: Session) -> list[Failure]:
    """Row 13: the newest call to the support service's cases failed before any answer came back."""
    cases_calls = [call for call in evidence.recent_calls(session) if "/cases" in call.url]
    if not cases_calls or cases_calls[0].status is not None:
        return []
    failed = [call for call in cases_calls if call.status is None]
    return [
        Failure(
            (13,),
            "The newest Contact Microsoft support call never reached the support service.",
            evidence.calls(failed),
        )
    ]


def stored_cases(session: Session, desk: ServiceDesk) -> list[Failure]:
    """Row 15: stored cases whose incident is gone (deleted or re-created)."""
    cases = repository.all_cases(session)
    known = _known(session, desk, {case.incident_sys_id for case in cases})
    orphans = [case for case in cases if case.incident_sys_id not in known]
    if not orphans:
        return []
    return [
        Failure(
            (15,),
            f"{len(orphans)} case(s) transferred to Microsoft belong to incidents that no longer exist; an "
            "incident re-created in their place shows none of them.",
            tuple(
                f"x_mioms_m365_assis_case: case {case.number} ({case.status}) for missing incident "
                f"{case.incident_sys_id}"
                for case in orphans[: evidence.SHOWN]
            ),
        )
    ]
