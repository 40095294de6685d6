"""The v2.1 "Microsoft 365 Support > Service Health" page (admin): the synced issues with their linked
incidents, "Sync now", and the auto-incident settings form."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import require_ui_user
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import get_context, get_session
from m365bridge.connector.health import repository, service
from m365bridge.connector.health.background import sync_now
from m365bridge.connector.incidents.table import CATEGORY_LABELS
from m365bridge.connector.users.roles import ADMIN
from m365bridge.connector.web.templating import redirect, render
from m365bridge.shared.errors import UserError

PATH = "/m365/service-health"
router = APIRouter(include_in_schema=False)
admin_page = require_ui_user(ADMIN)


def _page(
    request: Request,
    session: Session,
    *,
    form: service.SettingsForm | None = None,
    problems: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    runs = repository.recent_runs(session, limit=1)
    return render(
        request,
        "health/service_health.html",
        status_code=status_code,
        title="Service Health",
        rows=service.issue_rows(session),
        last_run=runs[0] if runs else None,
        form=form or service.current_form(session),
        problems=problems or [],
        categories=CATEGORY_LABELS,
    )


@router.get(PATH)
def service_health_page(
    request: Request,
    _user: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    return _page(request, session)


@router.post(f"{PATH}/settings")
def save_settings(
    request: Request,
    enabled: bool = Form(False),
    assignment_group: str = Form(""),
    category: str = Form(""),
    assigned_to: str = Form(""),
    subcategory: str = Form(""),
    auto_resolve: bool = Form(False),
    _user: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    form = service.SettingsForm(enabled, assignment_group, category, assigned_to, subcategory, auto_resolve)
    try:
        service.save_settings(session, form)
    except service.InvalidSettings as invalid:
        return _page(request, session, form=form, problems=invalid.problems, status_code=400)
    return redirect(PATH, "Service Health settings saved.")


@router.post(f"{PATH}/sync")
def sync_service_health_now(request: Request, _user: Principal = Depends(admin_page)) -> Response:
    try:
        outcome, incidents = sync_now(get_context(request))
    except UserError as error:
        return redirect(PATH, str(error))
    if not outcome.ran:
        return redirect(PATH, "A sync is already running; its results appear here when it finishes.")
    if outcome.error:
        return redirect(PATH, f"Service health sync failed: {outcome.error}")
    return redirect(
        PATH,
        f"Synced: {outcome.issues} issue(s) and {outcome.messages} message(s) changed; "
        f"{incidents.created} incident(s) created, {incidents.resolved} resolved.",
    )
