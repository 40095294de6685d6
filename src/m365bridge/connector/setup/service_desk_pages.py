"""Microsoft 365 support > Setup > Service desk (admin only): built-in, or a ServiceNow instance.

Test connection goes out to the instance before any session is opened, so no SQLite transaction stays
open while the connector waits; the page is then read in a short unit of its own.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import require_ui_user
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import ConnectorContext, get_context, get_session
from m365bridge.connector.servicenow.auth import AuthType
from m365bridge.connector.servicenow.connection_test import CheckResult, Outcome
from m365bridge.connector.setup import service_desk
from m365bridge.connector.users.roles import ADMIN
from m365bridge.connector.web.templating import redirect, render
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError

router = APIRouter(include_in_schema=False)
admin_page = require_ui_user(ADMIN)
PAGE = "/m365/setup/service-desk"


def _page(
    request: Request,
    session: Session,
    *,
    error: str | None = None,
    results: list[CheckResult] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "setup/service_desk.html",
        status_code=400 if error else status_code,
        title="Setup: Service desk",
        desk=service_desk.current_desk(session),
        auth_labels={auth.value: label for auth, label in service_desk.AUTH_LABELS.items()},
        view_labels=service_desk.VIEW_LABELS,
        results=results,
        failed=bool(results and any(r.outcome is Outcome.FAILED for r in results)),
        error=error,
    )


@router.get(PAGE)
def service_desk_page(
    request: Request,
    _user: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    return _page(request, session)


@router.post(PAGE)
def save_service_desk(
    request: Request,
    kind: str = Form(""),
    url: str = Form(""),
    auth_type: str = Form(AuthType.BASIC.value),
    user_name: str = Form(""),
    password: str = Form(""),
    client_id: str = Form(""),
    client_secret: str = Form(""),
    agent_view: str = Form("work_notes"),
    _user: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
    context: ConnectorContext = Depends(get_context),
) -> Response:
    try:
        choice = service_desk.parse_choice(
            kind,
            url=url,
            auth_type=auth_type,
            user_name=user_name,
            password=password,
            client_id=client_id,
            client_secret=client_secret,
            agent_view=agent_view,
        )
        saved = service_desk.save_choice(session, context, choice)
    except UserError as exc:
        session.rollback()
        return _page(request, session, error=str(exc))
    return redirect(PAGE, flash=f"Service desk: {saved}")


@router.post(f"{PAGE}/test")
def test_service_desk(
    request: Request,
    _user: Principal = Depends(admin_page),
    context: ConnectorContext = Depends(get_context),
) -> Response:
    try:
        results = service_desk.run_instance_checks(context)
    except UserError as exc:
        with transaction(context.sessions) as session:
            return _page(request, session, error=str(exc))
    with transaction(context.sessions) as session:
        return _page(request, session, results=results)
