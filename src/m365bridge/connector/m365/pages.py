"""``/incidents/{sys_id}/m365``: the incident's "Microsoft 365 support" tab (composed in ``tab.py``).

Only insights users and app administrators see it (troubleshooting row 1); anyone else who asks for it is
sent back to the form and the system log says why. The tab's actions are the features' own routes
(``insights/pages.py``, ``cases/pages.py``), which answer with this page again on an error.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import Principal, require_ui_user
from m365bridge.connector.context import ConnectorContext, get_context, get_session
from m365bridge.connector.incidents.endpoints import READ_ROLES
from m365bridge.connector.insights.endpoints import TAB_ROLES
from m365bridge.connector.logs import system_log
from m365bridge.connector.m365.tab import tab_page
from m365bridge.connector.servicedesk import desk_for
from m365bridge.connector.servicedesk.port import DeskIncident
from m365bridge.connector.web.templating import redirect
from m365bridge.shared.db import transaction

router = APIRouter(tags=["Microsoft 365 support tab"], include_in_schema=False)


def _hidden(context: ConnectorContext, incident: DeskIncident, user: Principal) -> Response:
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
    context = get_context(request)
    incident = desk_for(context).get_incident(session, sys_id)
    if not user.has_role(*TAB_ROLES):
        return _hidden(context, incident, user)
    return tab_page(request, session, incident, user)
