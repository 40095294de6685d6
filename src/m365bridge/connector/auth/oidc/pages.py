"""``/oidc``: OIDC provider configurations and OIDC entities, with a live test of a metadata URL.

The provider form has two buttons: Save, and "Test metadata URL", which fetches the URL as typed (and its
JWKS) without saving anything, so an administrator can check a URL before relying on it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import require_ui_user
from m365bridge.connector.auth.oidc import service
from m365bridge.connector.auth.oidc.client import OIDCFetchError
from m365bridge.connector.auth.oidc.keys import check_metadata, forget_configuration
from m365bridge.connector.auth.oidc.models import OIDCEntity, OIDCProvider
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import get_context, get_session
from m365bridge.connector.users.roles import ADMIN
from m365bridge.connector.web.templating import redirect, render
from m365bridge.shared.errors import UserError

router = APIRouter(include_in_schema=False)
admin_page = require_ui_user(ADMIN)


@router.get("/oidc")
def oidc_overview(
    request: Request,
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    return render(
        request,
        "auth/oidc.html",
        title="OIDC providers",
        providers=service.providers(session),
        entities=service.entities(session),
    )


def _provider_values(provider: OIDCProvider | None) -> dict[str, Any]:
    if provider is None:
        return {"user_claim": "appid", "user_field": "user_name", "clock_skew": 300, "active": True}
    fields = ("name", "metadata_url", "user_claim", "user_field", "clock_skew", "extra_issuer", "active")
    return {f: getattr(provider, f) for f in fields}


def _provider_form(
    request: Request,
    provider: OIDCProvider | None,
    values: dict[str, Any],
    status_code: int = 200,
    **extra: Any,
) -> Response:
    return render(
        request,
        "auth/oidc_provider.html",
        status_code=status_code,
        title=f"OIDC provider {provider.name}" if provider else "New OIDC provider",
        provider=provider,
        values=values,
        user_fields=service.USER_FIELDS,
        **extra,
    )


@router.get("/oidc/providers/new")
def new_provider_form(request: Request, _admin: Principal = Depends(admin_page)) -> Response:
    return _provider_form(request, None, _provider_values(None))


@router.get("/oidc/providers/{provider_id}")
def edit_provider_form(
    request: Request,
    provider_id: str,
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    provider = service.get_provider(session, provider_id)
    return _provider_form(request, provider, _provider_values(provider))


@router.post("/oidc/providers/{provider_id}")
def save_provider(
    request: Request,
    provider_id: str,
    name: str = Form(""),
    metadata_url: str = Form(""),
    user_claim: str = Form("appid"),
    user_field: str = Form("user_name"),
    clock_skew: int = Form(300),
    extra_issuer: str = Form(""),
    active: bool = Form(False),
    action: str = Form("save"),
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    """``provider_id`` ``new`` creates; ``action=test`` only fetches the metadata URL."""
    values: dict[str, Any] = {
        "name": name,
        "metadata_url": metadata_url,
        "user_claim": user_claim,
        "user_field": user_field,
        "clock_skew": clock_skew,
        "extra_issuer": extra_issuer,
        "active": active,
    }
    context = get_context(request)
    if action == "test":
        return _test_metadata(request, session, provider_id, values)
    provider = None if provider_id == "new" else service.get_provider(session, provider_id)
    old_url = provider.metadata_url if provider else ""
    try:
        with session.begin_nested():
            if provider is None:
                settings = {k: v for k, v in values.items() if k != "active"}
                provider = service.create_provider(session, **settings)
                provider.active = active
            else:
                service.update_provider(session, provider, **values)
    except UserError as problem:
        shown = None if provider_id == "new" else provider
        if shown is not None:
            session.refresh(shown)
        return _provider_form(request, shown, values, problem.status_code, error=str(problem))
    forget_configuration(context, old_url, provider.metadata_url)
    return redirect("/oidc", f"OIDC provider {provider.name} saved.")


def _test_metadata(request: Request, session: Session, provider_id: str, values: dict[str, Any]) -> Response:
    """Fetch the metadata URL as typed; nothing is saved either way. The fetch comes before the session's
    first statement: a POST's session is a writer, and no write turn may be held across an outbound call
    (the fetch's own outbound-log row would wait for it)."""
    url = str(values["metadata_url"]).strip()
    try:
        check, error = check_metadata(get_context(request), url), None
    except OIDCFetchError as problem:
        check, error = None, f"Metadata URL test failed: {problem}"
    provider = None if provider_id == "new" else service.get_provider(session, provider_id)
    if error is not None:
        return _provider_form(request, provider, values, 502, error=error)
    return _provider_form(request, provider, values, check=check)


@router.post("/oidc/providers/{provider_id}/delete")
def delete_provider(
    request: Request,
    provider_id: str,
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    provider = service.get_provider(session, provider_id)
    name, url = provider.name, provider.metadata_url
    service.delete_provider(session, provider.id)
    forget_configuration(get_context(request), url)
    return redirect("/oidc", f"OIDC provider {name} and its entities deleted.")


def _entity_form(
    request: Request,
    session: Session,
    entity: OIDCEntity | None,
    values: dict[str, Any],
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    return render(
        request,
        "auth/oidc_entity.html",
        status_code=status_code,
        title=f"OIDC entity {entity.name}" if entity else "New OIDC entity",
        entity=entity,
        values=values,
        providers=service.providers(session),
        error=error,
    )


@router.get("/oidc/entities/new")
def new_entity_form(
    request: Request,
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    values = {"provider_id": request.query_params.get("provider", ""), "active": True}
    return _entity_form(request, session, None, values)


@router.get("/oidc/entities/{entity_id}")
def edit_entity_form(
    request: Request,
    entity_id: str,
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    entity = service.get_entity(session, entity_id)
    values = {f: getattr(entity, f) for f in ("name", "client_id", "provider_id", "active")}
    return _entity_form(request, session, entity, values)


@router.post("/oidc/entities/{entity_id}")
def save_entity(
    request: Request,
    entity_id: str,
    name: str = Form(""),
    client_id: str = Form(""),
    provider_id: str = Form(""),
    active: bool = Form(False),
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    """``entity_id`` ``new`` creates the entity."""
    entity = None if entity_id == "new" else service.get_entity(session, entity_id)
    values = {"name": name, "client_id": client_id, "provider_id": provider_id, "active": active}
    try:
        with session.begin_nested():
            if entity is None:
                entity = service.create_entity(session, name, client_id, provider_id)
                entity.active = active
            else:
                service.update_entity(
                    session, entity, name=name, client_id=client_id, provider_id=provider_id, active=active
                )
    except UserError as problem:
        shown = None if entity_id == "new" else entity
        if shown is not None:
            session.refresh(shown)
        return _entity_form(request, session, shown, values, problem.status_code, str(problem))
    forget_configuration(get_context(request))
    return redirect("/oidc", f"OIDC entity {entity.name} saved.")


@router.post("/oidc/entities/{entity_id}/delete")
def delete_entity(
    request: Request,
    entity_id: str,
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    entity = service.get_entity(session, entity_id)
    name = entity.name
    service.delete_entity(session, entity.id)
    forget_configuration(get_context(request))
    return redirect("/oidc", f"OIDC entity {name} deleted.")
