"""The OAuth registry's rules: validation, secrets encrypted on the way in, decrypted only for tokens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from m365bridge.connector.registry import repository
from m365bridge.connector.registry.models import OAuthEntity, OAuthEntityProfile
from m365bridge.shared.errors import Conflict, NotFound, UserError
from m365bridge.shared.secretbox import SecretBox

CLIENT_CREDENTIALS = "client_credentials"
GRANT_TYPES = (CLIENT_CREDENTIALS, "authorization_code", "password", "refresh_token", "jwt_bearer")


@dataclass(frozen=True)
class OutboundCredentials:
    """What a token request needs, with the secret decrypted (kept out of ``repr`` so it never logs)."""

    entity_id: str
    entity_name: str
    client_id: str
    client_secret: str = field(repr=False)
    token_url: str
    extra_params: Mapping[str, str]


def create_entity(
    session: Session,
    secrets: SecretBox,
    *,
    name: str,
    client_id: str,
    client_secret: str,
    token_url: str,
    grant_type: str = CLIENT_CREDENTIALS,
    redirect_url: str | None = None,
    extra_params: Mapping[str, Any] | None = None,
) -> OAuthEntity:
    name, client_id = name.strip(), client_id.strip()
    if not name:
        raise UserError("Give the OAuth provider a name, e.g. 'Azure'.")
    if not client_id:
        raise UserError(f"OAuth provider '{name}' needs a client id (the outbound app's application id).")
    if not client_secret:
        raise UserError(f"OAuth provider '{name}' needs a client secret (the outbound app's secret value).")
    if grant_type not in GRANT_TYPES:
        raise UserError(f"Unknown grant type '{grant_type}'; use one of: {', '.join(GRANT_TYPES)}.")
    _require_url(token_url, "token URL")
    if redirect_url:
        _require_url(redirect_url, "redirect URL")
    params = {str(k): str(v) for k, v in (extra_params or {}).items()}
    if repository.find_entity_by_name(session, name):
        raise Conflict(f"An OAuth provider named '{name}' already exists; choose another name or delete it.")
    entity = OAuthEntity(
        name=name,
        client_id=client_id,
        client_secret=secrets.encrypt(client_secret),
        grant_type=grant_type,
        token_url=token_url.strip(),
        redirect_url=redirect_url or None,
        extra_params=params,
    )
    entity.profiles.append(OAuthEntityProfile(name=f"{name} default_profile", is_default=True))
    return repository.add(session, entity)


def _require_url(value: str, what: str) -> None:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise UserError(f"The {what} '{value}' is not an absolute http(s) URL.")


def list_entities(session: Session) -> Sequence[OAuthEntity]:
    return repository.list_entities(session)


def get_entity(session: Session, id_or_name: str) -> OAuthEntity:
    entity = repository.get_entity(session, id_or_name) or repository.find_entity_by_name(session, id_or_name)
    if entity is None:
        raise NotFound(
            f"No OAuth provider '{id_or_name}'; list them with 'm365bridge connector oauth-entities list'."
        )
    return entity


def delete_entity(session: Session, id_or_name: str) -> OAuthEntity:
    entity = get_entity(session, id_or_name)
    repository.delete(session, entity)
    return entity


def default_profile(entity: OAuthEntity) -> OAuthEntityProfile | None:
    return next((p for p in entity.profiles if p.is_default), None)


def entity_for_profile(session: Session, profile_id: str) -> OAuthEntity:
    profile = repository.get_profile(session, profile_id)
    if profile is None:
        raise NotFound(f"No OAuth profile '{profile_id}'; choose one of the OAuth registry's profiles.")
    return profile.entity


def require_outbound_usable(entity: OAuthEntity) -> None:
    """The outbound provider must use client credentials: nobody is signed in when the connector calls out."""
    if entity.grant_type != CLIENT_CREDENTIALS:
        raise UserError(
            f"OAuth provider '{entity.name}' uses the '{entity.grant_type}' grant; the outbound provider "
            "must use 'client_credentials'. Create a provider with that grant type and choose it."
        )


def outbound_credentials(session: Session, secrets: SecretBox, entity_id: str) -> OutboundCredentials:
    entity = get_entity(session, entity_id)
    require_outbound_usable(entity)
    return OutboundCredentials(
        entity_id=entity.id,
        entity_name=entity.name,
        client_id=entity.client_id,
        client_secret=secrets.decrypt(entity.client_secret),
        token_url=entity.token_url,
        extra_params=dict(entity.extra_params or {}),
    )
