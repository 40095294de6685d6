"""``/api/x_mioms_m365_assis/v1/oauth_entities``: the OAuth registry for administrators; never the secret."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import require_roles
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import get_context, get_session
from m365bridge.connector.registry import service
from m365bridge.connector.registry.schemas import OAuthEntityCreate, OAuthEntityOut
from m365bridge.connector.registry.token_client import token_client
from m365bridge.connector.users.roles import ADMIN

router = APIRouter(prefix="/api/x_mioms_m365_assis/v1/oauth_entities", tags=["oauth registry"])
admin_only = require_roles(ADMIN)


@router.get("", response_model=dict[str, list[OAuthEntityOut]])
def list_entities(
    _principal: Principal = Depends(admin_only), session: Session = Depends(get_session, scope="function")
) -> dict[str, list[OAuthEntityOut]]:
    return {"result": [OAuthEntityOut.model_validate(e) for e in service.list_entities(session)]}


@router.post("", status_code=201, response_model=dict[str, OAuthEntityOut])
def create_entity(
    body: OAuthEntityCreate,
    request: Request,
    _principal: Principal = Depends(admin_only),
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, OAuthEntityOut]:
    entity = service.create_entity(
        session,
        get_context(request).secrets,
        name=body.name,
        client_id=body.client_id,
        client_secret=body.client_secret.get_secret_value(),
        token_url=body.token_url,
        grant_type=body.grant_type,
        redirect_url=body.redirect_url,
        extra_params=body.extra_params,
    )
    return {"result": OAuthEntityOut.model_validate(entity)}


@router.get("/{entity_id}", response_model=dict[str, OAuthEntityOut])
def get_entity(
    entity_id: str,
    _principal: Principal = Depends(admin_only),
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, OAuthEntityOut]:
    return {"result": OAuthEntityOut.model_validate(service.get_entity(session, entity_id))}


@router.delete("/{entity_id}", status_code=204)
def delete_entity(
    entity_id: str,
    request: Request,
    _principal: Principal = Depends(admin_only),
    session: Session = Depends(get_session, scope="function"),
) -> None:
    entity = service.delete_entity(session, entity_id)
    token_client(get_context(request)).invalidate(entity.id)
