"""Engineer pages: the case queue, a case with its thread, replies, status changes, undelivered events."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from m365bridge.cloud.cases import repository as cases_repository
from m365bridge.cloud.cases import service
from m365bridge.cloud.cases.models import STATUSES
from m365bridge.cloud.context import get_session
from m365bridge.cloud.directory.dependencies import require_ui_form, require_ui_user
from m365bridge.cloud.directory.roles import SUPPORT_ENGINEER
from m365bridge.cloud.directory.service import SignedIn
from m365bridge.cloud.web.templating import render

router = APIRouter(prefix="/console", include_in_schema=False)
engineer_page = require_ui_user(SUPPORT_ENGINEER)
engineer_form = require_ui_form(SUPPORT_ENGINEER)


@router.get("", response_class=HTMLResponse)
def queue(
    request: Request,
    status: str = "",
    tenant: str = "",
    test: str = "hide",
    _signed_in: SignedIn = Depends(engineer_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    """Open cases for engineers; test-environment cases stay hidden unless asked for."""
    found = service.list_cases(
        session,
        tenant_id=tenant.strip() or None,
        status=status if status in STATUSES else None,
        include_test=test == "show",
    )
    filters = {"status": status, "tenant": tenant, "test": test}
    return render(request, "console/queue.html", cases=found, statuses=STATUSES, filters=filters)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_view(
    request: Request,
    case_id: str,
    _signed_in: SignedIn = Depends(engineer_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    case = service.get_case(session, case_id)
    return render(
        request,
        "console/case.html",
        case=case,
        messages=service.messages(session, case),
        events=cases_repository.case_events(session, case.id),
        statuses=STATUSES,
    )


@router.post("/cases/{case_id}/reply")
def reply(
    case_id: str,
    body: str = Form(""),
    signed_in: SignedIn = Depends(engineer_form),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    case = service.get_case(session, case_id)
    service.engineer_reply(session, case, author=signed_in.user.display_name, body=body)
    return RedirectResponse(f"/console/cases/{case_id}?notice=replied", status_code=303)


@router.post("/cases/{case_id}/status")
def change_status(
    case_id: str,
    status: str = Form(...),
    _signed_in: SignedIn = Depends(engineer_form),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    service.change_status(session, service.get_case(session, case_id), status)
    return RedirectResponse(f"/console/cases/{case_id}?notice=status", status_code=303)


@router.get("/dead-letters", response_class=HTMLResponse)
def dead_letters(
    request: Request,
    _signed_in: SignedIn = Depends(engineer_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    events = service.dead_events(session)
    numbers = {e.case_id: service.get_case(session, e.case_id).number for e in events}
    return render(request, "console/dead_letters.html", events=events, numbers=numbers)


@router.post("/dead-letters/{event_id}/retry")
def retry(
    event_id: str,
    _signed_in: SignedIn = Depends(engineer_form),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    service.retry_event(session, event_id)
    return RedirectResponse("/console/dead-letters?notice=retried", status_code=303)
