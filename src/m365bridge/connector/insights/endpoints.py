"""``/api/x_mioms_m365_assis/v1/incidents/{sys_id}/insights``: what the Microsoft 365 support tab shows."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import Principal, require_roles
from m365bridge.connector.context import ConnectorContext, get_context, get_session
from m365bridge.connector.insights import service
from m365bridge.connector.insights.schemas import FeedbackIn, InsightsOut
from m365bridge.connector.servicedesk import desk_for
from m365bridge.connector.users.roles import APP_ADMINISTRATOR, INSIGHTS_USER

TAB_ROLES = (INSIGHTS_USER, APP_ADMINISTRATOR)

router = APIRouter(prefix="/api/x_mioms_m365_assis/v1/incidents", tags=["Microsoft 365 Insights"])


@router.get("/{sys_id}/insights", response_model=InsightsOut, response_model_by_alias=True)
def get_insights(
    sys_id: str,
    search: str | None = Query(None, max_length=4000, description="Search text instead of the incident's."),
    user: Principal = Depends(require_roles(*TAB_ROLES)),
    context: ConnectorContext = Depends(get_context),
    session: Session = Depends(get_session, scope="function"),
) -> InsightsOut:
    """Matching service health incidents and recommended solutions; the answer is kept with the incident."""
    incident = desk_for(context).get_incident(session, sys_id)
    stored = service.run_insights(context, session, incident, user, search=search)
    return InsightsOut.model_validate(stored.result)


@router.post("/{sys_id}/insights/feedback", status_code=204)
def post_feedback(
    sys_id: str,
    body: FeedbackIn,
    user: Principal = Depends(require_roles(*TAB_ROLES)),
    context: ConnectorContext = Depends(get_context),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    """A thumbs up or down on one result (refused with 409 when feedback is switched off)."""
    incident = desk_for(context).get_incident(session, sys_id)
    service.record_feedback(session, incident, user, result_id=body.result_id, vote=body.vote)
    return Response(status_code=204)
