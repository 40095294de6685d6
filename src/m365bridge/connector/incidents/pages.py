"""The incident list and the incident form: create, edit, work notes and comments, resolve, reopen, cancel.

The form has tabs chosen by ``?tab=``. The "Microsoft 365 support" tab is a page of its own,
``/incidents/{sys_id}/m365`` (``m365/``), which extends ``incidents/form.html``, fills its ``m365_tab``
block and builds the form's context with ``form_context``; ``?tab=m365`` is sent there.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import require_ui_user
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import get_session
from m365bridge.connector.incidents import repository, service
from m365bridge.connector.incidents.encoded_query import Condition, EncodedQuery, OrderBy
from m365bridge.connector.incidents.endpoints import READ_ROLES, WRITE_ROLES
from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.incidents.table import (
    CATEGORY_LABELS,
    CLOSE_CODES,
    DONE_STATES,
    IMPACT_LABELS,
    INACTIVE_STATES,
    JOURNAL_LABELS,
    PRIORITY_LABELS,
    STATE_LABELS,
    URGENCY_LABELS,
    WRITABLE_FIELDS,
    Journal,
    State,
)
from m365bridge.connector.users import repository as users
from m365bridge.connector.users.roles import APP_ADMINISTRATOR, INSIGHTS_USER
from m365bridge.connector.web.templating import redirect, render
from m365bridge.shared.errors import UserError

PAGE_SIZE = 50
# Past this the offset would overflow the database's integers (a 500); no list is that long.
MAX_PAGE = 2**31 // PAGE_SIZE
M365_TAB_ROLES = (INSIGHTS_USER, APP_ADMINISTRATOR)
TABS = {"notes": "Notes", "resolution": "Resolution information", "m365": "Microsoft 365 support"}

router = APIRouter(tags=["Incident pages"], include_in_schema=False)


def list_query(state: str, priority: str, text: str, mine: bool, user_id: str) -> EncodedQuery:
    """The list's filters as an encoded query (so the list and the Table API filter the same way)."""
    clauses: list[tuple[Condition, ...]] = []
    if state == "active":
        clauses.append((Condition("active", "=", "true"),))
    elif state:
        clauses.append((Condition("state", "=", state),))
    if priority:
        clauses.append((Condition("priority", "=", priority),))
    if text.strip():
        words = text.strip()
        clauses.append(
            tuple(Condition(f, "LIKE", words) for f in ("number", "short_description", "description"))
        )
    if mine:
        clauses.append((Condition("assigned_to", "=", user_id),))
    return EncodedQuery(groups=(tuple(clauses),) if clauses else (), order_by=(OrderBy("number", True),))


@router.get("/incidents")
def incident_list(
    request: Request,
    state: str = "active",
    priority: str = "",
    q: str = "",
    mine: bool = False,
    page: int = 1,
    user: Principal = Depends(require_ui_user(*READ_ROLES)),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    page = max(1, min(page, MAX_PAGE))
    query = list_query(state, priority, q, mine, user.user_id)
    found = repository.list_incidents(session, query, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    ids = {i.assigned_to for i in found.rows if i.assigned_to} | {
        i.caller_id for i in found.rows if i.caller_id
    }
    return render(
        request,
        "incidents/list.html",
        title="Incidents",
        incidents=found.rows,
        total=found.total,
        page=page,
        pages=max(1, -(-found.total // PAGE_SIZE)),
        filters={"state": state, "priority": priority, "q": q, "mine": mine},
        names=repository.user_display_names(session, ids),
        **LABELS,
    )


LABELS: dict[str, Any] = {
    "state_labels": STATE_LABELS,
    "priority_labels": PRIORITY_LABELS,
    "impact_labels": IMPACT_LABELS,
    "urgency_labels": URGENCY_LABELS,
    "category_labels": CATEGORY_LABELS,
    "close_codes": CLOSE_CODES,
    "journal_labels": JOURNAL_LABELS,
}


def form_context(session: Session, incident: Incident | None, user: Principal, tab: str) -> dict[str, Any]:
    """Everything ``incidents/form.html`` needs; pages extending it start from this."""
    people = users.list_users(session)
    journal = service.list_journal(session, incident) if incident else []
    tabs = visible_tabs(user)
    return {
        "title": incident.number if incident else "New incident",
        "incident": incident,
        "tab": tab if tab in tabs else "notes",
        "tabs": tabs,
        "people": people,
        "names": {p.id: p.name or p.user_name for p in people},
        "journal": journal,
        "can_write": user.has_role(*WRITE_ROLES),
        "is_done": incident is not None and incident.state in DONE_STATES,
        "is_inactive": incident is not None and incident.state in INACTIVE_STATES,
        "editable_states": {s: STATE_LABELS[s] for s in (State.NEW, State.IN_PROGRESS, State.ON_HOLD)},
        **LABELS,
    }


def form_context_for(session: Session, sys_id: str, user: Principal, tab: str) -> dict[str, Any]:
    """``form_context`` of the incident with that sys_id, for a feature's page extending the form (features
    know incidents through the service-desk port, not as rows of this table)."""
    return form_context(session, service.get_incident(session, sys_id), user, tab)


def visible_tabs(user: Principal) -> dict[str, str]:
    """The Microsoft 365 support tab only for insights users and app administrators (row 1 of the guide)."""
    return {key: label for key, label in TABS.items() if key != "m365" or user.has_role(*M365_TAB_ROLES)}


def _form(
    request: Request, session: Session, incident: Incident | None, user: Principal, **extra: Any
) -> Response:
    context = form_context(session, incident, user, request.query_params.get("tab", "notes"))
    return render(request, "incidents/form.html", **{**context, **extra})


@router.get("/incidents/new")
def new_incident(
    request: Request,
    user: Principal = Depends(require_ui_user(*WRITE_ROLES)),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    return _form(request, session, None, user)


@router.get("/incidents/{sys_id}")
def incident_form(
    sys_id: str,
    request: Request,
    user: Principal = Depends(require_ui_user(*READ_ROLES)),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    if request.query_params.get("tab") == "m365":
        # The tab is its own page (insights), which also logs why a user without the role does not see it.
        return redirect(f"/incidents/{sys_id}/m365")
    return _form(request, session, service.get_incident(session, sys_id), user)


async def _submitted(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _failed(
    request: Request, session: Session, sys_id: str | None, user: Principal, error: UserError
) -> Response:
    """Bad input never changes stored data: drop whatever the failed change did, show the form again."""
    session.rollback()
    incident = service.get_incident(session, sys_id) if sys_id else None
    response = _form(request, session, incident, user, error=str(error))
    response.status_code = 400
    return response


@router.post("/incidents/new")
async def create_incident(
    request: Request,
    user: Principal = Depends(require_ui_user(*WRITE_ROLES)),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    fields = await _submitted(request)
    try:
        incident = service.create_incident(session, _editable(fields), user)
    except UserError as error:
        return _failed(request, session, None, user, error)
    return redirect(f"/incidents/{incident.sys_id}", flash=f"Incident {incident.number} created.")


def _editable(fields: dict[str, str]) -> dict[str, str]:
    return {
        k: v for k, v in fields.items() if k in WRITABLE_FIELDS or k in (Journal.WORK_NOTES, Journal.COMMENTS)
    }


@router.post("/incidents/{sys_id}")
async def update_incident(
    sys_id: str,
    request: Request,
    user: Principal = Depends(require_ui_user(*WRITE_ROLES)),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    fields = await _submitted(request)
    action = fields.pop("action", "update")
    incident = service.get_incident(session, sys_id)
    try:
        if action == "resolve":
            service.resolve_incident(
                session, incident, fields.get("close_code", ""), fields.get("close_notes", ""), user
            )
        elif action == "reopen":
            service.reopen_incident(session, incident, user)
        elif action == "cancel":
            service.cancel_incident(session, incident, user)
        else:
            service.update_incident(session, incident, _editable(fields), user)
    except UserError as error:
        return _failed(request, session, sys_id, user, error)
    tab = fields.get("tab", "notes")
    return redirect(
        f"/incidents/{sys_id}?tab={tab if tab in TABS else 'notes'}", flash=_done(action, incident)
    )


def _done(action: str, incident: Incident) -> str:
    verbs = {"resolve": "resolved", "reopen": "reopened", "cancel": "canceled"}
    return f"Incident {incident.number} {verbs.get(action, 'updated')}."
