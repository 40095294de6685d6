"""The actions of the "Contact Microsoft support" section of the incident's Microsoft 365 support tab
(open a case, reply, change the ticket details), and Link Account. The section itself, the cases with
their threads and the prefilled form, is composed by ``m365/tab.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from m365bridge.connector.auth.dependencies import Principal, require_ui_user
from m365bridge.connector.cases import service
from m365bridge.connector.cases.contact import ContactRequest
from m365bridge.connector.cases.endpoints import REPLY_ROLES
from m365bridge.connector.cases.service import SupportUnavailable
from m365bridge.connector.context import get_context
from m365bridge.connector.m365.tab import tab_page
from m365bridge.connector.servicedesk import desk_for
from m365bridge.connector.users import service as users
from m365bridge.connector.users.roles import APP_ADMINISTRATOR
from m365bridge.connector.web.templating import redirect, render
from m365bridge.shared.errors import UserError

router = APIRouter(tags=["Microsoft support case pages"], include_in_schema=False)


async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v.strip() if k != "description" else v for k, v in form.items() if isinstance(v, str)}


def _tab(sys_id: str) -> str:
    return f"/incidents/{sys_id}/m365"


def _error_page(request: Request, sys_id: str, user: Principal, error: UserError) -> Response:
    context = get_context(request)
    with context.sessions() as session:
        incident = desk_for(context).get_incident(session, sys_id)
        # The whole tab, insights half included, with the message at the top of the form.
        return tab_page(request, session, incident, user, status=error.status_code, error=str(error))


def _contact_request(fields: dict[str, str], *, title: str = "-") -> ContactRequest:
    return ContactRequest(
        title=fields.get("title", title),
        description=fields.get("description", ""),
        contact_name=fields.get("contact_name", ""),
        contact_email=fields.get("contact_email", ""),
        contact_phone=fields.get("contact_phone", ""),
        preferred_contact_method=fields.get("preferred_contact_method", "email"),
    )


@router.post("/incidents/{sys_id}/m365/cases")
async def contact_support(
    sys_id: str, request: Request, user: Principal = Depends(require_ui_user(APP_ADMINISTRATOR))
) -> Response:
    """The tab's Contact Microsoft support form; its submission id makes a double click one case."""
    fields = await _fields(request)
    key = fields.get("submission_id") or uuid.uuid4().hex
    try:
        case = await _threaded(
            service.contact_support, get_context(request), sys_id, user.user_id, _contact_request(fields), key
        )
    except SupportUnavailable:
        # As the original: nothing happens on the page; the outbound HTTP log has the evidence (#13).
        return redirect(_tab(sys_id))
    except UserError as error:
        return _error_page(request, sys_id, user, error)
    return redirect(_tab(sys_id), flash=f"Microsoft support case {case.number} opened.")


@router.post("/m365/cases/{case_sys_id}/reply")
async def reply(
    case_sys_id: str, request: Request, user: Principal = Depends(require_ui_user(*REPLY_ROLES))
) -> Response:
    fields = await _fields(request)
    sys_id = fields.get("incident", "")
    try:
        await _threaded(
            service.reply,
            get_context(request),
            case_sys_id,
            user.user_id,
            fields.get("body", ""),
            fields.get("reply_id") or uuid.uuid4().hex,
        )
    except UserError as error:
        return _error_page(request, sys_id, user, error)
    return redirect(_tab(sys_id), flash="Reply sent to Microsoft support.")


@router.post("/m365/cases/{case_sys_id}/contact")
async def save_contact(
    case_sys_id: str, request: Request, user: Principal = Depends(require_ui_user(*REPLY_ROLES))
) -> Response:
    fields = await _fields(request)
    sys_id = fields.get("incident", "")
    try:
        await _threaded(service.save_contact, get_context(request), case_sys_id, _contact_request(fields))
    except UserError as error:
        return _error_page(request, sys_id, user, error)
    return redirect(_tab(sys_id), flash="Ticket details saved.")


@router.get("/m365/link-account")
def link_account_page(
    request: Request, user: Principal = Depends(require_ui_user(APP_ADMINISTRATOR))
) -> Response:
    with get_context(request).sessions() as session:
        linked = users.get_user(session, user.user_id).m365_admin_email
    return render(request, "cases/link_account.html", title="Link Account", linked=linked or "")


@router.post("/m365/link-account")
async def link_account(
    request: Request, user: Principal = Depends(require_ui_user(APP_ADMINISTRATOR))
) -> Response:
    fields = await _fields(request)
    email = "" if fields.get("action") == "clear" else fields.get("email", "")
    try:
        linked = await _threaded(service.link_account, get_context(request), user.user_id, email)
    except UserError as error:
        return render(
            request,
            "cases/link_account.html",
            status_code=error.status_code,
            title="Link Account",
            linked=email,
            error=str(error),
        )
    flash = (
        f"Linked Microsoft 365 admin account {linked}." if linked else "Microsoft 365 admin account unlinked."
    )
    return redirect("/m365/link-account", flash=flash)


async def _threaded(function: Any, *args: Any) -> Any:
    """Run a blocking service call (it makes HTTP calls) off the event loop."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(function, *args)
