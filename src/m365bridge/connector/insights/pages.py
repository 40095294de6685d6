"""The Insights section's actions on the "Microsoft 365 support" tab: the Insights button, the search box and
the votes. The tab itself is composed by ``m365/tab.py``; an action that fails answers with the tab again.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import Principal, require_ui_user
from m365bridge.connector.context import ConnectorContext, get_context, get_session
from m365bridge.connector.insights import service
from m365bridge.connector.insights.endpoints import TAB_ROLES
from m365bridge.connector.m365.tab import tab_page
from m365bridge.connector.servicedesk import desk_for
from m365bridge.connector.web.templating import redirect
from m365bridge.shared.errors import UserError

router = APIRouter(tags=["Microsoft 365 support tab"], include_in_schema=False)


def _ask(
    request: Request,
    context: ConnectorContext,
    session: Session,
    sys_id: str,
    user: Principal,
    search: str | None,
) -> Response:
    incident = desk_for(context).get_incident(session, sys_id)
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
    context: ConnectorContext = Depends(get_context),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    incident = desk_for(context).get_incident(session, sys_id)
    try:
        service.record_feedback(session, incident, user, result_id=result_id, vote=vote)
    except UserError as error:
        session.rollback()
        return tab_page(request, session, incident, user, status=error.status_code, error=str(error))
    return redirect(f"/incidents/{sys_id}/m365", flash="Thanks for the feedback.")
