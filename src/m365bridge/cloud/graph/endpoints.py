"""Graph v1.0 ``/admin/serviceAnnouncement``: health overviews, issues, incident reports and messages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext, get_context, get_session
from m365bridge.cloud.graph import service
from m365bridge.cloud.graph.auth import SERVICE_HEALTH, SERVICE_MESSAGES, graph_caller
from m365bridge.cloud.graph.errors import request_ids
from m365bridge.cloud.graph.odata import ODataError, parse_select
from m365bridge.cloud.graph.paging import page_size
from m365bridge.cloud.graph.resources import (
    HEALTH_FIELDS,
    HEALTH_TYPE,
    ISSUE_FIELDS,
    ISSUE_TYPE,
    ISSUES,
    MESSAGE_FIELDS,
    MESSAGE_TYPE,
    MESSAGES,
    Collection,
    issue_resource,
    message_resource,
    select,
)
from m365bridge.cloud.identity.verification import AccessToken
from m365bridge.shared.errors import NotFound

router = APIRouter(prefix="/v1.0/admin/serviceAnnouncement")
COLLECTION_OPTIONS = {"$filter", "$orderby", "$select", "$top", "$skip", "$skiptoken", "$count"}

health_reader = graph_caller(SERVICE_HEALTH)
message_reader = graph_caller(SERVICE_MESSAGES)


@router.get("/healthOverviews")
def list_health_overviews(
    request: Request,
    caller: AccessToken = Depends(health_reader),
    session: Session = Depends(get_session, scope="function"),
) -> JSONResponse:
    names, expand = _overview_options(request)
    overviews = [
        _overview(resource, issues, names, expand)
        for resource, issues in service.health_overviews(session, caller.tenant_id)
    ]
    return _json(
        request, {"@odata.context": _context_url(request, "healthOverviews", names), "value": overviews}
    )


@router.get("/healthOverviews/{service_id}")
def get_health_overview(
    service_id: str,
    request: Request,
    caller: AccessToken = Depends(health_reader),
    session: Session = Depends(get_session, scope="function"),
) -> JSONResponse:
    names, expand = _overview_options(request)
    for resource, issues in service.health_overviews(session, caller.tenant_id):
        if resource["id"].lower() == service_id.lower():
            body = {"@odata.context": _context_url(request, "healthOverviews/$entity", names)}
            return _json(request, body | _overview(resource, issues, names, expand))
    raise NotFound(f"The service '{service_id}' has no health overview.")


@router.get("/issues")
def list_issues(
    request: Request,
    caller: AccessToken = Depends(health_reader),
    session: Session = Depends(get_session, scope="function"),
    context: CloudContext = Depends(get_context),
) -> JSONResponse:
    return _collection(request, session, context, caller, ISSUES, "issues", issue_resource)


@router.get("/issues/{issue_id}")
def get_issue(
    issue_id: str,
    request: Request,
    caller: AccessToken = Depends(health_reader),
    session: Session = Depends(get_session, scope="function"),
) -> JSONResponse:
    names = _select_only(request, ISSUE_FIELDS, ISSUE_TYPE)
    issue = service.get_issue(session, caller.tenant_id, issue_id)
    body = {"@odata.context": _context_url(request, "issues/$entity", names)}
    return _json(request, body | select(issue_resource(issue), names))


@router.get("/issues/{issue_id}/incidentReport")
def get_incident_report(
    issue_id: str,
    request: Request,
    caller: AccessToken = Depends(health_reader),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    report = service.incident_report(session, caller.tenant_id, issue_id)
    request_id, client_request_id = request_ids(request)
    return Response(
        report.encode("utf-8"),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{issue_id}-PIR.txt"',
            "request-id": request_id,
            "client-request-id": client_request_id,
        },
    )


@router.get("/messages")
def list_messages(
    request: Request,
    caller: AccessToken = Depends(message_reader),
    session: Session = Depends(get_session, scope="function"),
    context: CloudContext = Depends(get_context),
) -> JSONResponse:
    return _collection(request, session, context, caller, MESSAGES, "messages", message_resource)


@router.get("/messages/{message_id}")
def get_message(
    message_id: str,
    request: Request,
    caller: AccessToken = Depends(message_reader),
    session: Session = Depends(get_session, scope="function"),
) -> JSONResponse:
    names = _select_only(request, MESSAGE_FIELDS, MESSAGE_TYPE)
    message = service.get_message(session, caller.tenant_id, message_id)
    body = {"@odata.context": _context_url(request, "messages/$entity", names)}
    return _json(request, body | select(message_resource(message), names))


def _collection(
    request: Request,
    session: Session,
    context: CloudContext,
    caller: AccessToken,
    collection: Collection,
    segment: str,
    to_resource: Any,
) -> JSONResponse:
    params = request.query_params
    _refuse_unknown_options(request, COLLECTION_OPTIONS)
    size, applied = page_size(
        _integer(params, "$top"), request.headers.get("prefer"), context.settings.graph_max_page_size
    )
    with_count = _boolean(params, "$count")
    query = service.CollectionQuery(
        filter=params.get("$filter"),
        orderby=params.get("$orderby"),
        select=params.get("$select"),
        skip=0 if params.get("$skiptoken") else (_integer(params, "$skip") or 0),
        skiptoken=params.get("$skiptoken"),
    )
    page = service.list_page(session, collection, caller.tenant_id, query, size=size, with_count=with_count)
    body: dict[str, Any] = {"@odata.context": _context_url(request, segment, page.select)}
    if page.count is not None:
        body["@odata.count"] = page.count
    body["value"] = [select(to_resource(row), page.select) for row in page.rows]
    if page.next_token:
        kept = [(k, v) for k, v in params.multi_items() if k not in ("$skip", "$skiptoken")]
        next_url = request.url.replace_query_params(**dict(kept), **{"$skiptoken": page.next_token})
        body["@odata.nextLink"] = str(next_url)
    headers = {"Preference-Applied": f"odata.maxpagesize={applied}"} if applied else {}
    return _json(request, body, headers)


def _overview(
    resource: dict[str, Any], issues: list[dict[str, Any]], names: list[str] | None, expand: bool
) -> dict[str, Any]:
    shaped = select(resource, [n for n in names if n != "issues"] if names else None)
    if expand:
        shaped["issues"] = issues
    return shaped


def _overview_options(request: Request) -> tuple[list[str] | None, bool]:
    _refuse_unknown_options(request, {"$select", "$expand"})
    expand = request.query_params.get("$expand")
    if expand not in (None, "issues"):
        raise ODataError(f"Could not find a navigation property named '{expand}' on type '{HEALTH_TYPE}'.")
    selected = request.query_params.get("$select")
    names = parse_select(selected, HEALTH_FIELDS, HEALTH_TYPE) if selected is not None else None
    return names, expand == "issues"


def _select_only(request: Request, fields: frozenset[str], type_name: str) -> list[str] | None:
    _refuse_unknown_options(request, {"$select"})
    selected = request.query_params.get("$select")
    return parse_select(selected, fields, type_name) if selected is not None else None


def _refuse_unknown_options(request: Request, allowed: set[str]) -> None:
    for name in request.query_params:
        if name.startswith("$") and name not in allowed:
            raise ODataError(f"The query parameter '{name}' is not supported on this resource.")


def _integer(params: Any, name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not value.isdigit():
        raise ODataError(f"Invalid value '{value}' for the {name} query parameter: a whole number expected.")
    return int(value)


def _boolean(params: Any, name: str) -> bool:
    value = params.get(name)
    if value not in (None, "true", "false"):
        raise ODataError(f"Invalid value '{value}' for the {name} query parameter: true or false expected.")
    return value == "true"


def _context_url(request: Request, segment: str, names: list[str] | None) -> str:
    # Everything before /v1.0, so the mount point (/graph) and any proxy prefix stay in the URL.
    url = str(request.url.remove_query_params(list(request.query_params)))
    base = url[: url.index("/v1.0/")]
    entity = segment.endswith("/$entity")
    path = segment.removesuffix("/$entity")
    shape = f"({','.join(names)})" if names else ""
    return f"{base}/v1.0/$metadata#admin/serviceAnnouncement/{path}{shape}{'/$entity' if entity else ''}"


def _json(request: Request, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    request_id, client_request_id = request_ids(request)
    all_headers = {"request-id": request_id, "client-request-id": client_request_id, **(headers or {})}
    return JSONResponse(body, headers=all_headers)
