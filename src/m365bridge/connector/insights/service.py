"""Microsoft 365 Insights for an incident: matching service health incidents and recommended solutions.

The Insights action asks with the incident's own text (the short description for service health, short
description and description for solutions); the search box asks with any text. Every answer is stored
with the incident so that reopening it shows the answer again, and users may vote on each result unless
the setup's feedback switch is off.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import Principal
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.matching import IssueIndexCache, IssueMatch, match_issues
from m365bridge.connector.insights import repository, solutions
from m365bridge.connector.insights.models import InsightResult
from m365bridge.connector.servicedesk.port import DeskIncident
from m365bridge.connector.setup.gate import Feature, SetupView, current_setup, require_setup
from m365bridge.connector.setup.modes import Mode
from m365bridge.shared.errors import UserError

Kind = Literal["insights", "search"]
INDEX_CACHE = "insights.issue_index"
VOTES = {"up": 1, "down": -1}


def issue_index(context: ConnectorContext) -> IssueIndexCache:
    existing = context.extras.get(INDEX_CACHE)
    if isinstance(existing, IssueIndexCache):
        return existing
    return context.extras.setdefault(INDEX_CACHE, IssueIndexCache())


def allowed_setup(session: Session) -> SetupView:
    """Service health and solutions need a confirmed setup; "Continue without any setup" offers only
    the public solutions. Raises message #2 or #3 (logged) otherwise."""
    view = current_setup(session)
    feature: Feature = "solutions" if view is not None and view.mode is Mode.NONE else "insights"
    return require_setup(session, feature=feature, view=view)


def run_insights(
    context: ConnectorContext,
    session: Session,
    incident: DeskIncident,
    user: Principal,
    *,
    search: str | None = None,
) -> InsightResult:
    """Ask for insights (``search`` None: the incident's text) and store the answer with the incident.

    Call it before the request writes anything else (see the rollback below)."""
    if search is not None and not search.strip():
        raise UserError("Type the words to search for in the search box.")
    view = allowed_setup(session)
    kind: Kind = "insights" if search is None else "search"
    if search is None:
        # As the original: service health on the short description, solutions on the whole text.
        health_text = incident.short_description
        text = f"{incident.short_description}\n{incident.description}".strip()
    else:
        health_text = text = search.strip()
    if not text:
        raise UserError("The incident has no short description or description to find insights for.")
    health: list[dict[str, Any]] = []
    if view.mode is not Mode.NONE:
        matches = match_issues(session, health_text, cache=issue_index(context))
        health = [issue_json(match) for match in matches]
    # End this request's read snapshot before calling out: the outbound log commits on a connection of its
    # own meanwhile, and SQLite refuses a write from a snapshot older than that commit. Nothing was written.
    session.rollback()
    answer = solutions.recommend(context, session, view, text)
    result = {"serviceHealth": health, "solutions": answer.solutions, "warnings": answer.warnings}
    return repository.add_result(
        session,
        incident_sys_id=incident.sys_id,
        incident_number=incident.number,
        query_text=text,
        kind=kind,
        result=result,
        by=user.user_name,
    )


def issue_json(match: IssueMatch) -> dict[str, Any]:
    """An issue as the tab and the API show it (Graph's camelCase names)."""
    return {
        "id": match.id,
        "title": match.title,
        "status": match.status,
        "classification": match.classification,
        "isResolved": match.is_resolved,
        "impactDescription": match.impact_description,
        "service": match.service,
        "feature": match.feature,
        "featureGroup": match.feature_group,
        "startDateTime": _stamp(match.start_at),
        "endDateTime": _stamp(match.end_at),
        "lastUpdateDateTime": _stamp(match.last_update_at),
        "lastUpdate": match.last_update,
        "nextUpdateDateTime": _stamp(match.next_update_at),
        "score": match.score,
    }


def _stamp(when: dt.datetime | None) -> str | None:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


def feedback_enabled(session: Session) -> bool:
    view = current_setup(session)
    return view is not None and view.feedback_prompts


def record_feedback(
    session: Session, incident: DeskIncident, user: Principal, *, result_id: str, vote: str
) -> None:
    """Keep the user's thumbs up or down on one result; refused when the feedback switch is off."""
    if not feedback_enabled(session):
        raise UserError("Feedback is switched off in the app settings (Setup, step 5).", status_code=409)
    if vote not in VOTES:
        raise UserError("The vote must be 'up' or 'down'.")
    if not result_id.strip() or len(result_id) > 300:
        raise UserError("Say which result the vote is for (resultId, e.g. 'solution:<article id>').")
    repository.set_vote(
        session, incident_sys_id=incident.sys_id, result_id=result_id, user_id=user.user_id, vote=VOTES[vote]
    )


def stored_results(session: Session, incident: DeskIncident) -> list[InsightResult]:
    return list(repository.results_of(session, incident.sys_id))
