"""Tenants, app registrations, client secrets and role grants. Services never commit; callers do."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from m365bridge.cloud.identity import keys, repository
from m365bridge.cloud.identity.models import AppRegistration, AppRoleGrant, ClientSecret, SigningKey, Tenant
from m365bridge.cloud.identity.resources import FIRST_PARTY, Resource, first_party
from m365bridge.shared.errors import Conflict, NotFound, UserError
from m365bridge.shared.orm import utcnow
from m365bridge.shared.passwords import hash_generated_secret
from m365bridge.shared.secretbox import SecretBox

DOMAIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}\.onmicrosoft\.com$")
SECRET_ALPHABET = string.ascii_letters + string.digits + "_-."


def _guid(value: str, what: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise UserError(f"{what} {value!r} is not a GUID; give one like {uuid.uuid4()}.") from exc


def create_tenant(
    session: Session, domain: str, tenant_id: str | None = None, *, display_name: str | None = None
) -> Tenant:
    """Create a directory named by ``domain`` (``<name>.onmicrosoft.com``) and a GUID."""
    domain = domain.strip().lower()
    if not DOMAIN_PATTERN.match(domain):
        raise UserError(f"Tenant domain {domain!r} is not valid; use a name like contoso.onmicrosoft.com.")
    tenant_id = _guid(tenant_id, "Tenant id") if tenant_id else str(uuid.uuid4())
    if repository.find_tenant(session, domain) or repository.find_tenant(session, tenant_id):
        raise Conflict(f"A tenant with domain {domain} or id {tenant_id} already exists.")
    tenant = Tenant(id=tenant_id, domain=domain, display_name=display_name or domain.split(".")[0].title())
    session.add(tenant)
    session.flush()
    return tenant


def resolve_tenant(session: Session, id_or_domain: str) -> Tenant:
    tenant = repository.find_tenant(session, id_or_domain)
    if tenant is None:
        raise NotFound(
            f"Tenant {id_or_domain!r} not found; list tenants with `m365bridge cloud identity tenant list`."
        )
    return tenant


def find_tenant(session: Session, id_or_domain: str) -> Tenant | None:
    return repository.find_tenant(session, id_or_domain)


def list_tenants(session: Session) -> Sequence[Tenant]:
    return repository.list_tenants(session)


def create_app_registration(
    session: Session,
    tenant_id: str,
    display_name: str,
    *,
    app_id_uri: str | None = None,
    accepted_version: int = 1,
    roles: Iterable[str] = (),
) -> AppRegistration:
    """Register an app in a tenant. ``app_id_uri`` may contain ``{client_id}`` (e.g. ``api://{client_id}``).

    ``roles`` are the application roles this app defines when other apps call it as a resource.
    """
    tenant = resolve_tenant(session, tenant_id)
    if accepted_version not in (1, 2):
        raise UserError("accessTokenAcceptedVersion must be 1 or 2.")
    if not display_name.strip():
        raise UserError("An app registration needs a display name.")
    client_id = str(uuid.uuid4())
    if app_id_uri:
        app_id_uri = app_id_uri.format(client_id=client_id).rstrip("/")
        if first_party(app_id_uri) or repository.find_app_by_uri(session, tenant.id, app_id_uri):
            raise Conflict(f"The App ID URI {app_id_uri} is already used in tenant {tenant.domain}.")
    app = AppRegistration(
        tenant_id=tenant.id,
        client_id=client_id,
        display_name=display_name.strip(),
        app_id_uri=app_id_uri or None,
        accepted_version=accepted_version,
        app_roles=sorted({role.strip() for role in roles if role.strip()}),
    )
    session.add(app)
    session.flush()
    return app


def resolve_app(session: Session, client_id: str) -> AppRegistration:
    app = repository.find_app_by_client_id(session, client_id)
    if app is None:
        raise NotFound(f"No app registration has client id {client_id!r}; list them with `app list`.")
    return app


def list_apps(session: Session, tenant_id: str) -> Sequence[AppRegistration]:
    return repository.list_apps(session, resolve_tenant(session, tenant_id).id)


def _new_secret_value() -> str:
    """40 characters like Entra's (``xxx8Q~…``); the first three are the hint shown in listings."""
    body = "".join(secrets.choice(SECRET_ALPHABET) for _ in range(37))
    return f"{body[:3]}8Q~{body[3:]}"


def add_client_secret(
    session: Session, app: AppRegistration, *, days: int = 365, display_name: str = ""
) -> str:
    """Add a client secret valid for ``days``; returns the plain value, which is never stored."""
    return create_client_secret(session, app, days=days, display_name=display_name)[1]


def create_client_secret(
    session: Session, app: AppRegistration, *, days: int = 365, display_name: str = ""
) -> tuple[ClientSecret, str]:
    """Like ``add_client_secret`` but also returns the stored credential (key id, hint, expiry)."""
    if days < 1 or days > 730:
        raise UserError("A client secret must be valid between 1 and 730 days.")
    return _store_secret(session, app, utcnow() + dt.timedelta(days=days), display_name)


def add_client_secret_until(
    session: Session, app: AppRegistration, expires_at: dt.datetime, display_name: str = ""
) -> str:
    """A secret with an explicit expiry, past ones included (to exercise expired-secret handling)."""
    return _store_secret(session, app, expires_at, display_name)[1]


def _store_secret(
    session: Session, app: AppRegistration, expires_at: dt.datetime, display_name: str
) -> tuple[ClientSecret, str]:
    value = _new_secret_value()
    stored = ClientSecret(
        app_id=app.id,
        display_name=display_name,
        hint=value[:3],
        secret_hash=hash_generated_secret(value),
        expires_at=expires_at,
    )
    session.add(stored)
    session.flush()
    return stored, value


def find_resource(session: Session, tenant_id: str, identifier: str) -> Resource | None:
    """A first-party API, or an app of the tenant named by its App ID URI or client id."""
    known = first_party(identifier)
    if known:
        return known
    app = repository.find_app_by_uri(session, tenant_id, identifier)
    if app is None:
        app = repository.find_app(session, tenant_id, identifier)
    if app is None:
        return None
    return Resource(
        app_id=app.client_id,
        app_id_uri=app.app_id_uri,
        display_name=app.display_name,
        accepted_version=app.accepted_version,
        roles=frozenset(app.app_roles),
    )


def grant_app_roles(
    session: Session, app: AppRegistration, resource_uri: str, roles: Iterable[str]
) -> list[AppRoleGrant]:
    """Grant (with admin consent) application roles of a resource to ``app``; granting twice is a no-op."""
    resource = find_resource(session, app.tenant_id, resource_uri)
    if resource is None:
        known = ", ".join(r.app_id_uri or r.app_id for r in FIRST_PARTY)
        raise NotFound(f"Resource {resource_uri!r} is not {known} nor an app of the tenant.")
    wanted = {role.strip() for role in roles if role.strip()}
    unknown = wanted - resource.roles
    if unknown or not wanted:
        offered = ", ".join(sorted(resource.roles)) or "none"
        raise UserError(
            f"{resource.display_name} defines no role {', '.join(sorted(unknown)) or '(none given)'}; "
            f"it offers: {offered}."
        )
    existing = repository.granted_roles(session, app.id, resource.app_id)
    grants = [
        AppRoleGrant(app_id=app.id, resource_app_id=resource.app_id, role=role)
        for role in sorted(wanted - existing)
    ]
    session.add_all(grants)
    session.flush()
    return grants


def list_grants(session: Session, app: AppRegistration) -> Sequence[AppRoleGrant]:
    return repository.list_grants(session, app.id)


def rotate_signing_key(session: Session, secrets: SecretBox) -> SigningKey:
    """Make a new active signing key; the previous one stays published for the grace period."""
    return keys.rotate(session, secrets)
