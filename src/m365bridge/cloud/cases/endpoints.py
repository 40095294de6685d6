"""Support cases for connectors: ``/support/v1/cases`` (bearer token of the tenant's configured app)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from m365bridge.cloud.cases import service
from m365bridge.cloud.cases.schemas import CaseIn, CaseOut, ContactUpdate, MessageIn, MessageOut
from m365bridge.cloud.cases.service import NotTenantAdmin
from m365bridge.cloud.context import get_session, get_write_session
from m365bridge.cloud.integration.dependencies import ConnectorCaller, require_connector_app

router = APIRouter(prefix="/support/v1/cases", tags=["support cases"])

NOT_TENANT_ADMIN_EXAMPLE = {
    "error": {"code": "NotTenantAdmin", "email": "someone@contoso.com", "message": "… is not a valid …"}
}


@router.post(
    "",
    response_model=CaseOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "Replay: this Idempotency-Key already opened the case returned."},
        403: {
            "description": "adminEmail is not an active tenant admin",
            "content": {"application/json": {"example": NOT_TENANT_ADMIN_EXAMPLE}},
        },
        409: {"description": "The Idempotency-Key was used for a different request."},
    },
)
def open_case(
    body: CaseIn,
    response: Response,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=200),
    caller: ConnectorCaller = Depends(require_connector_app),
    session: Session = Depends(get_session, scope="function"),
) -> CaseOut | JSONResponse:
    """Open a case; a retry with the same ``Idempotency-Key`` returns the same case (200)."""
    try:
        case, created = service.create_case(
            session, caller.tenant_id, caller.app_id, body.as_new(), idempotency_key
        )
    except NotTenantAdmin as error:
        body_403 = {"error": {"code": error.code, "email": error.email, "message": str(error)}}
        return JSONResponse(body_403, status_code=status.HTTP_403_FORBIDDEN)
    if not created:
        response.status_code = status.HTTP_200_OK
    return CaseOut.of(case)


@router.get("", response_model=list[CaseOut])
def list_cases(
    repository_id: str | None = None,
    status_filter: str | None = None,
    caller: ConnectorCaller = Depends(require_connector_app),
    session: Session = Depends(get_session, scope="function"),
) -> list[CaseOut]:
    """The caller's tenant's cases, newest first; filter with ``repository_id`` and ``status_filter``."""
    found = service.list_cases(
        session, tenant_id=caller.tenant_id, repository_id=repository_id, status=status_filter
    )
    return [CaseOut.of(c) for c in found]


@router.get("/{case_id}", response_model=CaseOut)
def read_case(
    case_id: str,
    caller: ConnectorCaller = Depends(require_connector_app),
    session: Session = Depends(get_session, scope="function"),
) -> CaseOut:
    case = service.get_case(session, case_id, caller.tenant_id)
    return CaseOut.of(case, list(service.messages(session, case)))


@router.post("/{case_id}/messages", response_model=MessageOut, status_code=status.HTTP_201_CREATED)
def add_message(
    case_id: str,
    body: MessageIn,
    response: Response,
    caller: ConnectorCaller = Depends(require_connector_app),
    session: Session = Depends(get_write_session, scope="function"),
) -> MessageOut:
    """A customer message; repeating a ``clientMessageId`` returns the first message (200)."""
    case = service.get_case(session, case_id, caller.tenant_id)
    message, created = service.add_customer_message(
        session, case, body=body.body, author=body.author, client_message_id=body.client_message_id
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return MessageOut.of(message)


@router.patch("/{case_id}/contact", response_model=CaseOut)
def update_contact(
    case_id: str,
    body: ContactUpdate,
    caller: ConnectorCaller = Depends(require_connector_app),
    session: Session = Depends(get_session, scope="function"),
) -> CaseOut:
    """Save the ticket (contact) details; the connector hears back through ``case.contactUpdated``."""
    case = service.get_case(session, case_id, caller.tenant_id)
    return CaseOut.of(service.update_contact(session, case, body.as_contact()))
