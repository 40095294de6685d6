"""``/allowlist``: the addresses allowed to call the inbound REST API, and whether that is enforced.

Whether the list is enforced is a setting (``inbound_allowlist_enabled``), not data: the page shows it
but cannot switch it, so that a click cannot lock the cloud (or the admin's own scripts) out.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.addresses import client_address
from m365bridge.connector.auth.allowlist import service
from m365bridge.connector.auth.dependencies import require_ui_user
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import get_context, get_session
from m365bridge.connector.users.roles import ADMIN
from m365bridge.connector.web.templating import redirect, render
from m365bridge.shared.errors import UserError

router = APIRouter(include_in_schema=False)
admin_page = require_ui_user(ADMIN)


def _page(request: Request, session: Session, status_code: int = 200, **extra: object) -> Response:
    settings = get_context(request).settings
    return render(
        request,
        "auth/allowlist.html",
        status_code=status_code,
        title="Inbound allowlist",
        entries=service.entries(session),
        enabled=settings.inbound_allowlist_enabled,
        your_address=client_address(request, settings.trusted_proxies),
        **extra,
    )


@router.get("/allowlist")
def allowlist_page(
    request: Request,
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    return _page(request, session)


@router.post("/allowlist")
def add_entry(
    request: Request,
    cidr: str = Form(""),
    description: str = Form(""),
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    try:
        with session.begin_nested():
            entry = service.add(session, cidr, description)
    except UserError as problem:
        values = {"cidr": cidr, "description": description}
        return _page(request, session, problem.status_code, error=str(problem), values=values)
    return redirect("/allowlist", f"{entry.cidr} added to the allowlist.")


@router.post("/allowlist/{entry_id}/delete")
def remove_entry(
    entry_id: str,
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    cidr = service.remove(session, entry_id)
    return redirect("/allowlist", f"{cidr} removed from the allowlist.")
