"""Admin center pages: Settings > Org settings > Organization profiles > Support integration."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from m365bridge.cloud.connectors.client import outbound_policy
from m365bridge.cloud.context import get_context, get_session
from m365bridge.cloud.directory.dependencies import require_ui_form, require_ui_user
from m365bridge.cloud.directory.roles import TENANT_ADMIN_ROLES
from m365bridge.cloud.directory.service import SignedIn
from m365bridge.cloud.integration import service
from m365bridge.cloud.integration.models import DEFAULT_REFRESH_TOKEN_EXPIRY, SupportRepository
from m365bridge.cloud.integration.service import AUTH_TYPES, RepositoryInput
from m365bridge.cloud.web.templating import render
from m365bridge.shared.errors import UserError

BASE = "/portal/settings/support-integration"
router = APIRouter(prefix=BASE, include_in_schema=False)
admin_page = require_ui_user(*TENANT_ADMIN_ROLES)
admin_form = require_ui_form(*TENANT_ADMIN_ROLES)


def _tenant(signed_in: SignedIn) -> str:
    assert signed_in.user.tenant_id is not None  # admin roles always come with a tenant
    return signed_in.user.tenant_id


def _overview(
    request: Request, session: Session, tenant: str, error: str | None = None, app_id: str = ""
) -> Response:
    integration = service.get_integration(session, tenant)
    return render(
        request,
        "integration/overview.html",
        integration=integration,
        app_id=app_id or integration.app_id,
        repositories=service.list_repositories(session, tenant),
        error=error,
        status_code=400 if error else 200,
    )


@router.get("", response_class=HTMLResponse)
def overview(
    request: Request,
    signed_in: SignedIn = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    return _overview(request, session, _tenant(signed_in))


@router.post("/basic")
async def save_basic(
    request: Request,
    signed_in: SignedIn = Depends(admin_form),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    form = await request.form()
    app_id = str(form.get("application_id", ""))
    try:
        service.save_basic_information(session, _tenant(signed_in), app_id=app_id)
    except UserError as error:
        return _overview(request, session, _tenant(signed_in), str(error), app_id)
    return RedirectResponse(f"{BASE}?notice=saved", status_code=303)


def _form_input(form: dict[str, str]) -> RepositoryInput:
    expiry = form.get("refresh_token_expiry", "").strip() or str(DEFAULT_REFRESH_TOKEN_EXPIRY)
    if not expiry.isdigit():
        raise UserError("refresh token expiry must be a whole number of seconds")
    return RepositoryInput(
        repository_id=form.get("repository", "").strip(),
        endpoint=form.get("endpoint", ""),
        auth_type=form.get("auth_type", ""),
        client_id=form.get("client_id", ""),
        client_secret=form.get("client_secret") or None,
        refresh_token_expiry=int(expiry),
        rest_username=form.get("rest_username", ""),
        rest_password=form.get("rest_password") or None,
        token_audience=form.get("token_audience", ""),
    )


def _editor(
    request: Request, repository: SupportRepository | None, values: dict[str, str], error: str | None = None
) -> Response:
    return render(
        request,
        "integration/repository.html",
        repository=repository,
        values=values,
        auth_types=AUTH_TYPES,
        error=error,
        status_code=400 if error else 200,
    )


def _values(row: SupportRepository) -> dict[str, str]:
    return {
        "repository": row.repository_id,
        "endpoint": row.endpoint,
        "auth_type": row.auth_type,
        "client_id": row.client_id,
        "refresh_token_expiry": str(row.refresh_token_expiry),
        "rest_username": row.rest_username,
        "token_audience": row.token_audience,
    }


async def _posted(request: Request) -> dict[str, str]:
    form = await request.form()
    # Secrets are never sent back to the browser, not even on a failed save.
    return {k: str(v) for k, v in form.items() if k != "csrf_token"}


def _without_secrets(values: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if k not in ("client_secret", "rest_password")}


@router.get("/repositories/new", response_class=HTMLResponse)
def new_repository(request: Request, _signed_in: SignedIn = Depends(admin_page)) -> Response:
    defaults = {"auth_type": AUTH_TYPES[0], "refresh_token_expiry": str(DEFAULT_REFRESH_TOKEN_EXPIRY)}
    return _editor(request, None, defaults)


@router.post("/repositories/new")
async def add_repository(
    request: Request,
    signed_in: SignedIn = Depends(admin_form),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    values = await _posted(request)
    try:
        context = get_context(request)
        policy = outbound_policy(context.settings)
        service.add_repository(session, _tenant(signed_in), _form_input(values), context.secrets, policy)
    except UserError as error:
        return _editor(request, None, _without_secrets(values), str(error))
    return RedirectResponse(f"{BASE}?notice=saved", status_code=303)


@router.get("/repositories/{repository_id}", response_class=HTMLResponse)
def edit_repository(
    request: Request,
    repository_id: str,
    signed_in: SignedIn = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    row = service.get_repository(session, _tenant(signed_in), repository_id)
    return _editor(request, row, _values(row))


@router.post("/repositories/{repository_id}")
async def update_repository(
    request: Request,
    repository_id: str,
    signed_in: SignedIn = Depends(admin_form),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    values = await _posted(request)
    tenant = _tenant(signed_in)
    try:
        context = get_context(request)
        policy = outbound_policy(context.settings)
        service.update_repository(
            session, tenant, repository_id, _form_input(values), context.secrets, policy
        )
    except UserError as error:
        row = service.get_repository(session, tenant, repository_id)
        return _editor(request, row, _without_secrets(values), str(error))
    return RedirectResponse(f"{BASE}?notice=saved", status_code=303)


@router.post("/repositories/{repository_id}/delete")
def delete_repository(
    repository_id: str,
    signed_in: SignedIn = Depends(admin_form),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    service.delete_repository(session, _tenant(signed_in), repository_id)
    return RedirectResponse(f"{BASE}?notice=deleted", status_code=303)
