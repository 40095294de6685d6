"""The identity admin API (``/admin/identity/…``), guarded by the cloud's admin API token.

Until the directory gives the cloud a signed-in administrator, the admin API takes a bearer token equal to
the ``admin_api_token`` setting (compared in constant time); with the setting unset it answers 403.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Header, HTTPException
from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext, get_context, get_session
from m365bridge.cloud.identity import service
from m365bridge.cloud.identity.schemas import (
    AppCreate,
    AppOut,
    GrantCreate,
    GrantOut,
    SecretCreate,
    SecretOut,
    SigningKeyOut,
    TenantCreate,
    TenantOut,
)


def require_admin_token(
    authorization: str | None = Header(None), context: CloudContext = Depends(get_context)
) -> None:
    """FastAPI dependency for every cloud admin API: a bearer equal to ``admin_api_token``."""
    expected = context.settings.admin_api_token
    if expected is None:
        raise HTTPException(403, "The admin API is disabled: set M365BRIDGE_CLOUD_ADMIN_API_TOKEN.")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise HTTPException(401, "Send the admin API token as 'Authorization: Bearer <token>'.")
    if not hmac.compare_digest(given.strip().encode(), expected.get_secret_value().encode()):
        raise HTTPException(403, "The admin API token is not valid.")


router = APIRouter(
    prefix="/admin/identity", tags=["identity admin"], dependencies=[Depends(require_admin_token)]
)


@router.get("/tenants")
def list_tenants(session: Session = Depends(get_session, scope="function")) -> list[TenantOut]:
    return [TenantOut.model_validate(tenant) for tenant in service.list_tenants(session)]


@router.post("/tenants", status_code=201)
def create_tenant(body: TenantCreate, session: Session = Depends(get_session, scope="function")) -> TenantOut:
    tenant = service.create_tenant(session, body.domain, body.id, display_name=body.display_name)
    return TenantOut.model_validate(tenant)


@router.get("/tenants/{tenant}/apps")
def list_apps(tenant: str, session: Session = Depends(get_session, scope="function")) -> list[AppOut]:
    return [AppOut.model_validate(app) for app in service.list_apps(session, tenant)]


@router.post("/tenants/{tenant}/apps", status_code=201)
def create_app(
    tenant: str, body: AppCreate, session: Session = Depends(get_session, scope="function")
) -> AppOut:
    app = service.create_app_registration(
        session,
        tenant,
        body.display_name,
        app_id_uri=body.app_id_uri,
        accepted_version=body.accepted_version,
        roles=body.app_roles,
    )
    return AppOut.model_validate(app)


@router.post("/apps/{client_id}/secrets", status_code=201)
def add_secret(
    client_id: str, body: SecretCreate, session: Session = Depends(get_session, scope="function")
) -> SecretOut:
    app = service.resolve_app(session, client_id)
    stored, value = service.create_client_secret(session, app, days=body.days, display_name=body.display_name)
    return SecretOut(key_id=stored.id, hint=stored.hint, expires_at=stored.expires_at, secret_text=value)


@router.get("/apps/{client_id}/grants")
def list_grants(client_id: str, session: Session = Depends(get_session, scope="function")) -> list[GrantOut]:
    app = service.resolve_app(session, client_id)
    return [GrantOut.model_validate(grant) for grant in service.list_grants(session, app)]


@router.post("/apps/{client_id}/grants")
def grant_roles(
    client_id: str, body: GrantCreate, session: Session = Depends(get_session, scope="function")
) -> list[GrantOut]:
    app = service.resolve_app(session, client_id)
    service.grant_app_roles(session, app, body.resource, body.roles)
    return [GrantOut.model_validate(grant) for grant in service.list_grants(session, app)]


@router.post("/keys/rotate", status_code=201)
def rotate_keys(
    session: Session = Depends(get_session, scope="function"), context: CloudContext = Depends(get_context)
) -> SigningKeyOut:
    key = service.rotate_signing_key(session, context.secrets)
    return SigningKeyOut(kid=key.kid, created_at=key.created_at)
