"""Managing OIDC provider configurations and OIDC entities (which tokens the connector trusts)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from m365bridge.connector.auth.oidc import repository
from m365bridge.connector.auth.oidc.models import OIDCEntity, OIDCProvider
from m365bridge.shared.errors import Conflict, NotFound, UserError

USER_FIELDS = ("user_name", "email")


def _check_provider(name: str, metadata_url: str, user_field: str, clock_skew: int) -> None:
    if not name.strip():
        raise UserError("a name is required")
    if not metadata_url.strip().startswith("https://"):
        raise UserError("the metadata URL must be https (…/.well-known/openid-configuration)")
    if user_field not in USER_FIELDS:
        raise UserError(f"user field must be one of {', '.join(USER_FIELDS)}")
    if not 0 <= clock_skew <= 3600:
        raise UserError("clock skew must be between 0 and 3600 seconds")


def _check_name_free(session: Session, name: str, provider_id: str | None = None) -> None:
    same = repository.provider_by_name(session, name.strip())
    if same is not None and same.id != provider_id:
        raise Conflict(f"an OIDC provider named {name.strip()!r} exists; pick another name")


def create_provider(
    session: Session,
    name: str,
    metadata_url: str,
    *,
    user_claim: str = "appid",
    user_field: str = "user_name",
    clock_skew: int = 300,
    extra_issuer: str | None = None,
) -> OIDCProvider:
    _check_provider(name, metadata_url, user_field, clock_skew)
    _check_name_free(session, name)
    provider = OIDCProvider(
        name=name.strip(),
        metadata_url=metadata_url.strip(),
        user_claim=user_claim.strip() or "appid",
        user_field=user_field,
        clock_skew=clock_skew,
        extra_issuer=(extra_issuer or "").strip() or None,
    )
    session.add(provider)
    session.flush()
    return provider


def update_provider(
    session: Session,
    provider: OIDCProvider,
    *,
    name: str,
    metadata_url: str,
    user_claim: str,
    user_field: str,
    clock_skew: int,
    extra_issuer: str | None,
    active: bool = True,
) -> OIDCProvider:
    """Replace every field of ``provider`` (a form or a PUT sends them all)."""
    _check_provider(name, metadata_url, user_field, clock_skew)
    _check_name_free(session, name, provider.id)
    provider.name = name.strip()
    provider.metadata_url = metadata_url.strip()
    provider.user_claim = user_claim.strip() or "appid"
    provider.user_field = user_field
    provider.clock_skew = clock_skew
    provider.extra_issuer = (extra_issuer or "").strip() or None
    provider.active = active
    session.flush()
    return provider


def create_entity(session: Session, name: str, client_id: str, provider_id: str) -> OIDCEntity:
    if not client_id.strip():
        raise UserError("the client id (the expected audience) is required")
    provider = get_provider(session, provider_id)
    entity = OIDCEntity(
        name=name.strip() or client_id.strip(), client_id=client_id.strip(), provider=provider
    )
    session.add(entity)
    session.flush()
    return entity


def providers(session: Session) -> Sequence[OIDCProvider]:
    return repository.providers(session)


def get_provider(session: Session, provider_id: str) -> OIDCProvider:
    provider = repository.provider_by_pk(session, provider_id) or repository.provider_by_name(
        session, provider_id
    )
    if provider is None:
        raise NotFound(f"no OIDC provider {provider_id!r}")
    return provider


def entities(session: Session) -> Sequence[OIDCEntity]:
    return repository.entities(session)


def get_entity(session: Session, entity_id: str) -> OIDCEntity:
    entity = repository.entity_by_pk(session, entity_id)
    if entity is None:
        raise NotFound(f"no OIDC entity {entity_id!r}")
    return entity


def update_entity(
    session: Session, entity: OIDCEntity, *, name: str, client_id: str, provider_id: str, active: bool = True
) -> OIDCEntity:
    if not client_id.strip():
        raise UserError("the client id (the expected audience) is required")
    entity.provider = get_provider(session, provider_id)
    entity.name = name.strip() or client_id.strip()
    entity.client_id = client_id.strip()
    entity.active = active
    session.flush()
    return entity


def delete_provider(session: Session, provider_id: str) -> None:
    session.delete(get_provider(session, provider_id))
    session.flush()


def delete_entity(session: Session, entity_id: str) -> None:
    session.delete(get_entity(session, entity_id))
    session.flush()
