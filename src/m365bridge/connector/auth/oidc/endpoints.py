"""``/api/x_mioms_m365_assis/v1/oidc/...``: OIDC provider configurations and entities (``admin`` only).

Every change drops the process's cached provider metadata and remembered tokens, so a removed entity or
a changed provider takes effect on the next call.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import require_roles
from m365bridge.connector.auth.oidc import service
from m365bridge.connector.auth.oidc.keys import forget_configuration
from m365bridge.connector.auth.oidc.schemas import (
    OIDCEntityIn,
    OIDCEntityOut,
    OIDCProviderIn,
    OIDCProviderOut,
)
from m365bridge.connector.context import get_context, get_session
from m365bridge.connector.users.roles import ADMIN

router = APIRouter(
    prefix="/api/x_mioms_m365_assis/v1/oidc", tags=["oidc"], dependencies=[Depends(require_roles(ADMIN))]
)


@router.get("/providers")
def list_providers(
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, list[OIDCProviderOut]]:
    return {"result": [OIDCProviderOut.model_validate(p) for p in service.providers(session)]}


@router.post("/providers", status_code=201)
def create_provider(
    body: OIDCProviderIn, request: Request, session: Session = Depends(get_session, scope="function")
) -> dict[str, OIDCProviderOut]:
    provider = service.create_provider(
        session,
        body.name,
        body.metadata_url,
        user_claim=body.user_claim,
        user_field=body.user_field,
        clock_skew=body.clock_skew,
        extra_issuer=body.extra_issuer,
    )
    provider.active = body.active
    forget_configuration(get_context(request), provider.metadata_url)
    return {"result": OIDCProviderOut.model_validate(provider)}


@router.get("/providers/{provider_id}")
def get_provider(
    provider_id: str, session: Session = Depends(get_session, scope="function")
) -> dict[str, OIDCProviderOut]:
    return {"result": OIDCProviderOut.model_validate(service.get_provider(session, provider_id))}


@router.put("/providers/{provider_id}")
def update_provider(
    provider_id: str,
    body: OIDCProviderIn,
    request: Request,
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, OIDCProviderOut]:
    provider = service.get_provider(session, provider_id)
    old_url = provider.metadata_url
    service.update_provider(session, provider, **body.model_dump())
    forget_configuration(get_context(request), old_url, provider.metadata_url)
    return {"result": OIDCProviderOut.model_validate(provider)}


@router.delete("/providers/{provider_id}", status_code=204)
def delete_provider(
    provider_id: str, request: Request, session: Session = Depends(get_session, scope="function")
) -> None:
    url = service.get_provider(session, provider_id).metadata_url
    service.delete_provider(session, provider_id)
    forget_configuration(get_context(request), url)


@router.get("/entities")
def list_entities(
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, list[OIDCEntityOut]]:
    return {"result": [OIDCEntityOut.model_validate(e) for e in service.entities(session)]}


@router.post("/entities", status_code=201)
def create_entity(
    body: OIDCEntityIn, request: Request, session: Session = Depends(get_session, scope="function")
) -> dict[str, OIDCEntityOut]:
    entity = service.create_entity(session, body.name, body.client_id, body.provider_id)
    entity.active = body.active
    forget_configuration(get_context(request))
    return {"result": OIDCEntityOut.model_validate(entity)}


@router.get("/entities/{entity_id}")
def get_entity(
    entity_id: str, session: Session = Depends(get_session, scope="function")
) -> dict[str, OIDCEntityOut]:
    return {"result": OIDCEntityOut.model_validate(service.get_entity(session, entity_id))}


@router.put("/entities/{entity_id}")
def update_entity(
    entity_id: str,
    body: OIDCEntityIn,
    request: Request,
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, OIDCEntityOut]:
    entity = service.update_entity(
        session,
        service.get_entity(session, entity_id),
        name=body.name,
        client_id=body.client_id,
        provider_id=body.provider_id,
        active=body.active,
    )
    forget_configuration(get_context(request))
    return {"result": OIDCEntityOut.model_validate(entity)}


@router.delete("/entities/{entity_id}", status_code=204)
def delete_entity(
    entity_id: str, request: Request, session: Session = Depends(get_session, scope="function")
) -> None:
    service.delete_entity(session, entity_id)
    forget_configuration(get_context(request))
