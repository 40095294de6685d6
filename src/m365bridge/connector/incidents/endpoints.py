"""The Table API subset for ``incident`` and ``sys_journal_field``, shaped as ServiceNow's so that PySNC
and scripts written for ServiceNow work unchanged."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from m365bridge.connector.api_errors import ApiError
from m365bridge.connector.auth.dependencies import require_roles
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import ConnectorContext, get_context, get_session
from m365bridge.connector.incidents import repository, service
from m365bridge.connector.incidents.encoded_query import parse
from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.incidents.representation import (
    INCIDENT_RESULT_FIELDS,
    DisplayMode,
    Presenter,
    selected_fields,
)
from m365bridge.connector.incidents.table import JOURNAL_COLUMNS
from m365bridge.connector.users.roles import (
    ADMIN,
    APP_ADMINISTRATOR,
    INCIDENT_MANAGER,
    INSIGHTS_USER,
    ITIL,
)
from m365bridge.shared.numbers import whole_number

READ_ROLES = (ITIL, INCIDENT_MANAGER, INSIGHTS_USER, APP_ADMINISTRATOR)
WRITE_ROLES = (ITIL, INCIDENT_MANAGER)
NO_RECORD = "Record doesn't exist or ACL restricts the record retrieval"
# sysparm_offset and sysparm_limit past this are refused rather than handed to the database, whose
# integers stop at 2^63 - 1; no table here comes near it (a limit within it is then cut to the maximum).
MAX_WINDOW_NUMBER = 2**31 - 1

router = APIRouter(prefix="/api/now/table", tags=["Table API"])


def _presenter(request: Request, session: Session) -> Presenter:
    params = request.query_params
    return Presenter(
        session=session,
        base_url=str(request.base_url).rstrip("/"),
        mode=DisplayMode.read(params.get("sysparm_display_value")),
        exclude_reference_link=params.get("sysparm_exclude_reference_link", "").lower() == "true",
    )


def _window(request: Request, context: ConnectorContext) -> tuple[int, int]:
    settings = context.settings
    limit = _non_negative(request, "sysparm_limit", settings.table_api_default_limit, MAX_WINDOW_NUMBER)
    offset = _non_negative(request, "sysparm_offset", 0, MAX_WINDOW_NUMBER)
    return max(1, min(limit, settings.table_api_max_limit)), offset


def _non_negative(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return default
    value = whole_number(raw, maximum=maximum)
    if value is None:
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        detail = f"{name} must be a whole number from 0 to {maximum} (ASCII digits), not {shown!r}"
        raise ApiError(400, detail)
    return value


def _paging_headers(request: Request, total: int, limit: int, offset: int) -> dict[str, str]:
    """``X-Total-Count`` and the ``Link`` header ServiceNow sends: first, prev, next and last pages."""
    headers = {"X-Total-Count": str(total)}
    if request.query_params.get("sysparm_suppress_pagination_header", "").lower() == "true":
        return headers
    last = max(0, (total - 1) // limit * limit)
    pages = {"first": 0}
    if offset > 0:
        pages["prev"] = max(0, offset - limit)
    if offset + limit < total:
        pages["next"] = offset + limit
    pages["last"] = last
    base = str(request.url).split("?")[0]
    kept = [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("sysparm_offset", "sysparm_limit")
    ]
    links = [
        f'<{base}?{urlencode([*kept, ("sysparm_limit", limit), ("sysparm_offset", page)])}>;rel="{rel}"'
        for rel, page in pages.items()
    ]
    headers["Link"] = ",".join(links)
    return headers


def _incident_or_404(session: Session, sys_id: str) -> Incident:
    incident = repository.get(session, sys_id)
    if incident is None:
        raise ApiError(404, NO_RECORD)
    return incident


def _one(request: Request, session: Session, incident: Incident) -> dict[str, Any]:
    fields = selected_fields(request.query_params.get("sysparm_fields"), INCIDENT_RESULT_FIELDS)
    session.flush()
    return {"result": _presenter(request, session).incidents([incident], fields)[0]}


@router.get("/incident")
def list_incidents(
    request: Request,
    _principal: Principal = Depends(require_roles(*READ_ROLES)),
    session: Session = Depends(get_session, scope="function"),
    context: ConnectorContext = Depends(get_context),
) -> JSONResponse:
    presenter = _presenter(request, session)
    limit, offset = _window(request, context)
    query = parse(request.query_params.get("sysparm_query", ""))
    page = repository.list_incidents(session, query, limit=limit, offset=offset)
    fields = selected_fields(request.query_params.get("sysparm_fields"), INCIDENT_RESULT_FIELDS)
    return JSONResponse(
        {"result": presenter.incidents(page.rows, fields)},
        headers=_paging_headers(request, page.total, limit, offset),
    )


@router.get("/incident/{sys_id}")
def get_incident(
    sys_id: str,
    request: Request,
    _principal: Principal = Depends(require_roles(*READ_ROLES)),
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, Any]:
    return _one(request, session, _incident_or_404(session, sys_id))


@router.post("/incident", status_code=201)
def create_incident(
    request: Request,
    response: Response,
    body: dict[str, Any] | None = Body(None),
    principal: Principal = Depends(require_roles(*WRITE_ROLES)),
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, Any]:
    incident = service.create_incident(session, body or {}, principal)
    response.headers["Location"] = (
        f"{str(request.base_url).rstrip('/')}/api/now/table/incident/{incident.sys_id}"
    )
    return _one(request, session, incident)


# ServiceNow treats PUT like PATCH (a partial update); distinct operation ids keep the OpenAPI valid.
@router.patch("/incident/{sys_id}", operation_id="patch_incident")
@router.put("/incident/{sys_id}", operation_id="put_incident")
def update_incident(
    sys_id: str,
    request: Request,
    body: dict[str, Any] | None = Body(None),
    principal: Principal = Depends(require_roles(*WRITE_ROLES)),
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, Any]:
    incident = _incident_or_404(session, sys_id)
    service.update_incident(session, incident, body or {}, principal)
    return _one(request, session, incident)


@router.delete("/incident/{sys_id}", status_code=204)
def delete_incident(
    sys_id: str,
    _principal: Principal = Depends(require_roles(ADMIN)),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    service.delete_incident(session, _incident_or_404(session, sys_id))
    return Response(status_code=204)


@router.get("/sys_journal_field")
def list_journal(
    request: Request,
    _principal: Principal = Depends(require_roles(*READ_ROLES)),
    session: Session = Depends(get_session, scope="function"),
    context: ConnectorContext = Depends(get_context),
) -> JSONResponse:
    presenter = _presenter(request, session)
    limit, offset = _window(request, context)
    query = parse(request.query_params.get("sysparm_query", ""))
    page = repository.list_journal_entries(session, query, limit=limit, offset=offset)
    fields = selected_fields(request.query_params.get("sysparm_fields"), JOURNAL_COLUMNS)
    return JSONResponse(
        {"result": presenter.journal_entries(page.rows, fields)},
        headers=_paging_headers(request, page.total, limit, offset),
    )


@router.get("/sys_journal_field/{sys_id}")
def get_journal_entry(
    sys_id: str,
    request: Request,
    _principal: Principal = Depends(require_roles(*READ_ROLES)),
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, Any]:
    entry = repository.get_journal_entry(session, sys_id)
    if entry is None:
        raise ApiError(404, NO_RECORD)
    fields = selected_fields(request.query_params.get("sysparm_fields"), JOURNAL_COLUMNS)
    return {"result": _presenter(request, session).journal_entries([entry], fields)[0]}
