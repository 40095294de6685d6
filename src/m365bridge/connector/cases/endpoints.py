"""The cases API on incidents, and the inbound Endpoint's ``POST {Endpoint}/v1/events``.

Errors use ServiceNow's body. Opening a case needs the app's administrator role; a repeated
``Idempotency-Key`` returns the case the first request opened.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Header, Request, Response, status
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import Principal, require_roles
from m365bridge.connector.cases import ingest, service
from m365bridge.connector.cases.schemas import CaseEventIn, CaseIn, CaseOut, ContactUpdate, EventAck, ReplyIn
from m365bridge.connector.context import ConnectorContext, get_context, get_session
from m365bridge.connector.incidents.endpoints import READ_ROLES
from m365bridge.connector.servicedesk import desk_for
from m365bridge.connector.setup.inbound import inbound_principal
from m365bridge.connector.setup.service import INBOUND_PATH
from m365bridge.connector.users.roles import APP_ADMINISTRATOR, INCIDENT_MANAGER, ITIL

router = APIRouter(tags=["Microsoft support cases"])
# The support service's event posts, the busiest route: the app includes it first, since a request is
# matched against the routes in order.
inbound_router = APIRouter(tags=["inbound (support service)"])
BASE = "/api/x_mioms_m365_assis/v1"
REPLY_ROLES = (ITIL, INCIDENT_MANAGER, APP_ADMINISTRATOR)


def case_view(session: Session, sys_id: str) -> dict[str, Any]:
    case = service.get_case(session, sys_id)
    return CaseOut.of(case, list(service.thread(session, case))).model_dump(by_alias=True, mode="json")


@router.post(f"{BASE}/incidents/{{sys_id}}/cases", status_code=status.HTTP_201_CREATED)
def open_case(
    sys_id: str,
    body: CaseIn,
    request: Request,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=200),
    principal: Principal = Depends(require_roles(APP_ADMINISTRATOR)),
) -> dict[str, Any]:
    """Contact Microsoft support: open a case for the incident (``result`` is the case with its number)."""
    context = get_context(request)
    key = idempotency_key or uuid.uuid4().hex
    case = service.contact_support(context, sys_id, principal.user_id, body.as_request(), key)
    with context.sessions() as session:
        return {"result": case_view(session, case.sys_id)}


@router.get(f"{BASE}/incidents/{{sys_id}}/cases")
def list_cases(
    sys_id: str,
    _principal: Principal = Depends(require_roles(*READ_ROLES)),
    context: ConnectorContext = Depends(get_context),
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, Any]:
    """The incident's cases, newest first, each with its whole thread."""
    desk_for(context).get_incident(session, sys_id)
    return {"result": [case_view(session, c.sys_id) for c in service.cases_for_incident(session, sys_id)]}


@router.post(f"{BASE}/cases/{{case_sys_id}}/messages", status_code=status.HTTP_201_CREATED)
def reply(
    case_sys_id: str,
    body: ReplyIn,
    request: Request,
    principal: Principal = Depends(require_roles(*REPLY_ROLES)),
) -> dict[str, Any]:
    """An agent's reply to the case; repeating ``clientMessageId`` sends it once."""
    context = get_context(request)
    service.reply(context, case_sys_id, principal.user_id, body.body, body.client_message_id)
    with context.sessions() as session:
        return {"result": case_view(session, case_sys_id)}


@router.patch(f"{BASE}/cases/{{case_sys_id}}/contact")
def save_contact(
    case_sys_id: str,
    body: ContactUpdate,
    request: Request,
    _principal: Principal = Depends(require_roles(*REPLY_ROLES)),
) -> dict[str, Any]:
    """Save the ticket (contact) details; failure is "Unable to save ticket details. …" (502)."""
    context = get_context(request)
    service.save_contact(context, case_sys_id, body.as_request())
    with context.sessions() as session:
        return {"result": case_view(session, case_sys_id)}


@inbound_router.post(
    f"{INBOUND_PATH}/v1/events",
    response_model=EventAck,
    responses={
        400: {"description": "The event is malformed."},
        404: {"description": "No such case (or, for case.created, no such incident) on this connector."},
        409: {"description": "An earlier event of this case is missing: deliver it first, then retry."},
    },
)
async def receive_event(
    body: CaseEventIn,
    request: Request,
    principal: Principal = Depends(inbound_principal),
) -> Response:
    """A case event from the support service: applied exactly once, in per-case order, or not at all.

    Async: authentication (when remembered) and parsing run on the event loop; the event is applied by the
    writer thread in a batch, and the answer waits until that batch has committed."""
    outcome = ingest.event_writer(get_context(request)).submit(body.as_event(), principal.user_name)
    applied = await asyncio.wrap_future(outcome)
    return Response(json.dumps({"id": body.id, "applied": applied}), media_type="application/json")
