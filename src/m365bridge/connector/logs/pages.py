"""``/logs/system``: the system log, filterable by source, level, text and age."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import require_ui_user
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import get_session
from m365bridge.connector.logs import system_log
from m365bridge.connector.logs.cli import parse_since
from m365bridge.connector.users.roles import ADMIN, APP_ADMINISTRATOR
from m365bridge.connector.web.templating import render
from m365bridge.shared.errors import UserError

router = APIRouter(include_in_schema=False)


@router.get("/logs/system")
def system_log_page(
    request: Request,
    source: str = "",
    level: str = "",
    since: str = "",
    q: str = "",
    _principal: Principal = Depends(require_ui_user(ADMIN, APP_ADMINISTRATOR)),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    filters = {"source": source, "level": level, "since": since, "q": q}
    try:
        lines = system_log.search(
            session, source=source or None, level=level or None, since=parse_since(since), text=q or None
        )
        error = None
    except UserError as exc:
        lines, error = [], str(exc)
    return render(
        request,
        "logs/system.html",
        title="System log",
        lines=lines,
        filters=filters,
        levels=system_log.LEVELS,
        error=error,
    )
