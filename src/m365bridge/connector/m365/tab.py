"""The incident's "Microsoft 365 support" tab, composed in one place.

The tab is a page of its own, ``/incidents/{sys_id}/m365`` (``m365/pages.py``): the incident form with its
``m365_tab`` block filled by ``m365/incident_tab.html``, which renders the ``Tab``'s sections in order. Each
section is a named part with its template and the data it shows, read here with the page's session:

- ``insights``: the Insights button, the search box, the stored answers and the user's votes
  (``insights/panel.html``; the actions are ``insights/pages.py``);
- ``support``: the incident's Microsoft support cases with their threads, and the Contact Microsoft
  support form (``cases/contact.html``; the actions are ``cases/pages.py``).

A section's template reads its data as ``data``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import Principal
from m365bridge.connector.cases import service as cases
from m365bridge.connector.cases.endpoints import REPLY_ROLES
from m365bridge.connector.context import get_context
from m365bridge.connector.incidents.pages import form_context_for
from m365bridge.connector.incidents.table import STATE_LABELS
from m365bridge.connector.insights import repository as insights_repository
from m365bridge.connector.insights import service as insights
from m365bridge.connector.servicedesk import BUILTIN, desk_for
from m365bridge.connector.servicedesk.port import DeskIncident
from m365bridge.connector.setup.gate import current_setup
from m365bridge.connector.users import service as users
from m365bridge.connector.users.roles import APP_ADMINISTRATOR
from m365bridge.connector.web.templating import render


@dataclass(frozen=True)
class Section:
    name: str
    template: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Tab:
    sections: tuple[Section, ...]


def build_tab(session: Session, incident: DeskIncident, user: Principal) -> Tab:
    return Tab(
        (
            Section("insights", "insights/panel.html", _insights(session, incident, user)),
            Section("support", "cases/contact.html", _support(session, incident, user)),
        )
    )


def tab_page(
    request: Request,
    session: Session,
    incident: DeskIncident,
    user: Principal,
    *,
    status: int = 200,
    **extra: str,
) -> Response:
    """The incident form showing the tab; ``extra`` (``error``) goes to the form's template. An incident of a
    ServiceNow instance has no form here (the instance holds it): its tab stands on a page of its own, with
    the incident's heading and a link back to it on the instance."""
    support_tab = build_tab(session, incident, user)
    if desk_for(get_context(request)) is not BUILTIN:
        return render(
            request,
            "m365/instance_tab_page.html",
            status_code=status,
            title=incident.number,
            incident=incident,
            state_label=STATE_LABELS.get(incident.state, str(incident.state)),
            support_tab=support_tab,
            **extra,
        )
    context = form_context_for(session, incident.sys_id, user, "m365")
    return render(
        request, "m365/tab_page.html", status_code=status, **context, support_tab=support_tab, **extra
    )


def _insights(session: Session, incident: DeskIncident, user: Principal) -> dict[str, Any]:
    return {
        "results": insights.stored_results(session, incident),
        "feedback": insights.feedback_enabled(session),
        "votes": insights_repository.votes_of(session, incident.sys_id, user.user_id),
    }


def _support(session: Session, incident: DeskIncident, principal: Principal) -> dict[str, Any]:
    cases_here = [
        (c, list(cases.thread(session, c))) for c in cases.cases_for_incident(session, incident.sys_id)
    ]
    setup = current_setup(session)
    user = users.get_user(session, principal.user_id)
    return {
        "cases": cases_here,
        "can_contact": principal.has_role(APP_ADMINISTRATOR),
        "can_reply": principal.has_role(*REPLY_ROLES),
        "admin_email": user.m365_admin_email or (setup.admin_email if setup else ""),
        "submission_id": uuid.uuid4().hex,
        "reply_id": uuid.uuid4().hex,
        "contact": {"name": user.name or user.user_name, "email": user.email or ""},
    }
