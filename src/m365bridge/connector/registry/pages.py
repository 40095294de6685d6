"""The "OAuth registry" admin page: list, create and delete outbound OAuth providers."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import require_ui_user
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import get_context, get_session
from m365bridge.connector.registry import service
from m365bridge.connector.registry.token_client import token_client
from m365bridge.connector.users.roles import ADMIN
from m365bridge.connector.web.templating import redirect, render
from m365bridge.shared.errors import UserError

router = APIRouter(include_in_schema=False)
admin_page = require_ui_user(ADMIN)


def _page(request: Request, session: Session, error: str | None = None, status_code: int = 200) -> Response:
    return render(
        request,
        "registry/list.html",
        status_code=status_code,
        title="OAuth registry",
        entities=service.list_entities(session),
        grant_types=service.GRANT_TYPES,
        error=error,
    )


@router.get("/registry")
def registry_page(
    request: Request,
    _user: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    return _page(request, session)


@router.post("/registry")
def create_provider(
    request: Request,
    name: str = Form(...),
    client_id: str = Form(...),
    client_secret: str = Form(...),
    token_url: str = Form(...),
    grant_type: str = Form(service.CLIENT_CREDENTIALS),
    redirect_url: str = Form(""),
    resource: str = Form(""),
    _user: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    try:
        with session.begin_nested():
            service.create_entity(
                session,
                get_context(request).secrets,
                name=name,
                client_id=client_id,
                client_secret=client_secret,
                token_url=token_url,
                grant_type=grant_type,
                redirect_url=redirect_url or None,
                extra_params={"resource": resource} if resource else {},
            )
    except UserError as error:
        return _page(request, session, str(error), status_code=error.status_code)
    return redirect("/registry", f"OAuth provider '{name}' created.")


@router.post("/registry/{entity_id}/delete")
def delete_provider(
    request: Request,
    entity_id: str,
    _user: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    entity = service.delete_entity(session, entity_id)
    token_client(get_context(request)).invalidate(entity.id)
    return redirect("/registry", f"OAuth provider '{entity.name}' deleted.")
