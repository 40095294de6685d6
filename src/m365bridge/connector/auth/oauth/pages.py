"""``/oauth-clients``: OAuth API endpoints for external clients (who may use ``/oauth_token.do``).

The client secret is stored only as an argon2 hash, so the page that creates an endpoint is the one and
only place it is ever shown; that answer is not cached and is not a redirect target that could be reloaded.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import require_ui_user
from m365bridge.connector.auth.oauth import service
from m365bridge.connector.auth.oauth.models import OAuthClient
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import get_session
from m365bridge.connector.users.roles import ADMIN
from m365bridge.connector.web.templating import redirect, render
from m365bridge.shared.errors import UserError

router = APIRouter(include_in_schema=False)
admin_page = require_ui_user(ADMIN)
NO_STORE = {"Cache-Control": "no-store"}


def _list(request: Request, session: Session, status_code: int = 200, **extra: object) -> Response:
    return render(
        request,
        "auth/clients.html",
        status_code=status_code,
        title="OAuth API endpoints",
        clients=service.list_clients(session),
        token_url=f"{request.base_url}oauth_token.do",
        **extra,
    )


@router.get("/oauth-clients")
def client_list(
    request: Request,
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    return _list(request, session)


@router.post("/oauth-clients")
def create_client(
    request: Request,
    name: str = Form(""),
    access_token_lifespan: int = Form(1800),
    refresh_token_lifespan: int = Form(8_640_000),
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    try:
        with session.begin_nested():
            client, secret = service.create_client(
                session,
                name,
                access_token_lifespan=access_token_lifespan,
                refresh_token_lifespan=refresh_token_lifespan,
            )
    except UserError as problem:
        return _list(request, session, problem.status_code, error=str(problem))
    response = _list(request, session, created=client, secret=secret)
    response.headers.update(NO_STORE)
    return response


def _form(
    request: Request, client: OAuthClient, status_code: int = 200, error: str | None = None
) -> Response:
    return render(
        request,
        "auth/client_form.html",
        status_code=status_code,
        title=f"OAuth API endpoint {client.name}",
        client=client,
        error=error,
    )


@router.get("/oauth-clients/{client_id}")
def edit_client_form(
    request: Request,
    client_id: str,
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    return _form(request, service.get_client(session, client_id))


@router.post("/oauth-clients/{client_id}")
def update_client(
    request: Request,
    client_id: str,
    name: str = Form(""),
    access_token_lifespan: int = Form(...),
    refresh_token_lifespan: int = Form(...),
    active: bool = Form(False),
    redirect_url: str | None = Form(None),
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    client = service.get_client(session, client_id)
    try:
        with session.begin_nested():
            service.update_client(
                session,
                client,
                name=name,
                access_token_lifespan=access_token_lifespan,
                refresh_token_lifespan=refresh_token_lifespan,
                active=active,
                redirect_url=redirect_url,
            )
    except UserError as problem:
        session.refresh(client)
        return _form(request, client, problem.status_code, str(problem))
    state = "" if client.active else " It is inactive: its tokens no longer work."
    return redirect(f"/oauth-clients/{client.id}", f"OAuth API endpoint {client.name} saved.{state}")


@router.post("/oauth-clients/{client_id}/delete")
def delete_client(
    client_id: str,
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    client = service.get_client(session, client_id)
    name = client.name
    service.delete_client(session, client.id)
    return redirect("/oauth-clients", f"OAuth API endpoint {name} and every token it issued deleted.")
