"""The "Outbound HTTP log" page, filterable by host, feature, age and failures."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import require_ui_user
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import get_session
from m365bridge.connector.logs import http_log
from m365bridge.connector.logs.http_log_cli import parse_since
from m365bridge.connector.users.roles import ADMIN
from m365bridge.connector.web.templating import render
from m365bridge.shared.errors import UserError

router = APIRouter(include_in_schema=False)


@router.get("/logs/http")
def outbound_log_page(
    request: Request,
    host: str = "",
    source: str = "",
    since: str = "",
    errors: bool = False,
    _user: Principal = Depends(require_ui_user(ADMIN)),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    error = None
    try:
        rows = http_log.search(
            session, host=host or None, source=source or None, since=parse_since(since), errors_only=errors
        )
    except UserError as problem:
        rows, error = [], str(problem)
    filters = {"host": host, "source": source, "since": since, "errors": errors}
    return render(
        request, "logs/http.html", title="Outbound HTTP log", rows=rows, filters=filters, error=error
    )
