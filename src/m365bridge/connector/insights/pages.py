"""The incident's "Microsoft 365 support" tab: the Insights action, the search box and the votes.

The tab is its own page, ``/incidents/{sys_id}/m365``, extending the incident form and filling its
``m365_tab`` block. Only insights users and app administrators see it (troubleshooting row 1); anyone else
who asks for it is sent back to the form and the system log says why.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import require_ui_user
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import ConnectorContext, get_context, get_session
from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.incidents.endpoints import READ_ROLES
from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.incidents.pages import form_context
from m365bridge.connector.insights import repository, service
from m365bridge.connector.insights.endpoints import TAB_ROLES
from m365bridge.connector.logs import system_log
from m365bridge.connector.web.templating import redirect, render
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError

router = APIRouter(tags=["Microsoft 365 support tab"], include_in_schema=False)


def tab_page(
    request: Request,
    session: Session,
    incident: Incident,
    user: Principal,
    *,
    status: int = 200,
    **extra: str,
) -> Response:
    context = form_context(session, incident, user, "m365")
    results = service.stored_results(session, incident)
    return render(
        request,
        "insights/tab_page.html",
        status_code=status,
        **context,
        results=results,
        feedback=service.feedback_enabled(session),
        votes=repository.votes_of(session, incident.sys_id, user.user_id),
        **extra,
    )


def _hidden(context: ConnectorContext, incident: Incident, user: Principal) -> Response:
    # A GET's session only reads; the log line is written by a writer unit of its own (the SQLite writer
    # rule: a transaction that reads and then writes can meet "database is locked").
    with transaction(context.sessions, write=True) as log_session:
        system_log.write(
            log_session,
            "info",
            f"The Microsoft 365 support tab is hidden from {user.user_name}: it needs the role "
            f"{' or '.join(TAB_ROLES)}.",
            context={"user": user.user_name, "incident": incident.number},
        )
    return redirect(f"/incidents/{incident.sys_id}", flash="You do not see the Microsoft 365 support tab.")


@router.get("/incidents/{sys_id}/m365")
def support_tab(
    sys_id: str,
    request: Request,
    user: Principal = Depends(require_ui_user(*READ_ROLES)),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    incident = incidents.get_incident(session, sys_id)
    if not user.has_role(*TAB_ROLES):
        return _hidden(get_context(request), incident, user)
    return tab_page(request, session, incident, user)


def _ask(
    request: Request,
    context: ConnectorContext,
    session: Session,
    sys_id: str,
    user: Principal,
    search: str | None,
) -> Response:
    incident = incidents.get_incident(session, sys_id)
    try:
        service.run_insights(context, session, incident, user, search=search)
    except UserError as error:
        # Messages #2, #3 and "Please contact app support." show at the top of the form (D1).
        session.rollback()
        return tab_page(request, session, incident, user, status=error.status_code, error=str(error))
    return redirect(f"/incidents/{sys_id}/m365")


@router.post("/incidents/{sys_id}/m365/insights")
def insights_action(
    sys_id: str,
    request: Request,
    user: Principal = Depends(require_ui_user(*TAB_ROLES)),
    context: ConnectorContext = Depends(get_context),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    return _ask(request, context, session, sys_id, user, None)


@router.post("/incidents/{sys_id}/m365/search")
def search_box(
    sys_id: str,
    request: Request,
    text: str = Form(""),
    user: Principal = Depends(require_ui_user(*TAB_ROLES)),
    context: ConnectorContext = Depends(get_context),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    return _ask(request, context, session, sys_id, user, text)


@router.post("/incidents/{sys_id}/m365/feedback")
def feedback(
    sys_id: str,
    request: Request,
    result_id: str = Form(...),
    vote: str = Form(...),
    user: Principal = Depends(require_ui_user(*TAB_ROLES)),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    incident = incidents.get_incident(session, sys_id)
    try:
        service.record_feedback(session, incident, user, result_id=result_id, vote=vote)
    except UserError as error:
        session.rollback()
        return tab_page(request, session, incident, user, status=error.status_code, error=str(error))
    return redirect(f"/incidents/{sys_id}/m365", flash="Thanks for the feedback.")
