"""The client-credentials grant of ``/{tenant}/oauth2/token`` (v1) and ``/oauth2/v2.0/token`` (v2)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from m365bridge.cloud.identity import claims, errors, keys, repository
from m365bridge.cloud.identity.claims import IssuedToken
from m365bridge.cloud.identity.models import AppRegistration
from m365bridge.cloud.identity.service import find_resource
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.orm import utcnow
from m365bridge.shared.passwords import verify_generated_secret
from m365bridge.shared.secretbox import SecretBox

CLIENT_CREDENTIALS = "client_credentials"
DEFAULT_SCOPE_SUFFIX = "/.default"
# MSAL may add OpenID scopes to any request; they carry no resource and are ignored for app tokens.
RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})


@dataclass(frozen=True)
class TokenRequest:
    """The form of a token request; ``endpoint_version`` says which endpoint received it (1 or 2)."""

    endpoint_version: int
    grant_type: str | None
    client_id: str | None
    client_secret: str | None
    resource: str | None = None
    scope: str | None = None


def grant_client_credentials(
    session: Session, settings: CloudSettings, secrets: SecretBox, tenant_ref: str, request: TokenRequest
) -> tuple[IssuedToken, str]:
    """Issue an app token, or raise ``AADSTSError``. Returns the token and the resource as requested."""
    tenant = repository.find_tenant(session, tenant_ref)
    if tenant is None:
        raise errors.tenant_not_found(tenant_ref)
    if not request.grant_type:
        raise errors.missing_parameter("grant_type")
    if request.grant_type != CLIENT_CREDENTIALS:
        raise errors.unsupported_grant_type(request.grant_type)
    if not request.client_id:
        raise errors.missing_parameter("client_id")
    client = repository.find_app(session, tenant.id, request.client_id)
    if client is None:
        raise errors.client_not_found(request.client_id, tenant_ref)
    _authenticate(session, client, request.client_secret)
    requested = _requested_resource(request)
    resource = find_resource(session, tenant.id, requested)
    if resource is None:
        raise errors.resource_not_found(requested, tenant_ref)
    roles = repository.granted_roles(session, client.id, resource.app_id) & resource.roles
    token = claims.issue(
        settings,
        secrets,
        keys.ensure_active_key(session, secrets),
        client=client,
        resource=resource,
        requested=requested,
        roles=roles,
    )
    return token, requested


def _authenticate(session: Session, client: AppRegistration, secret: str | None) -> None:
    if not secret:
        raise errors.missing_secret()
    matched = [
        stored
        for stored in repository.secrets_with_hint(session, client.id, secret[:3])
        if verify_generated_secret(stored.secret_hash, secret)
    ]
    if not matched:
        raise errors.invalid_secret(client.client_id)
    if all(stored.expires_at <= utcnow() for stored in matched):
        raise errors.expired_secret(client.client_id)


def _requested_resource(request: TokenRequest) -> str:
    if request.endpoint_version == 1:
        if not request.resource or not request.resource.strip():
            raise errors.missing_parameter("resource")
        return request.resource.strip()
    if not request.scope or not request.scope.strip():
        raise errors.missing_parameter("scope")
    scopes = [s for s in request.scope.split() if s.lower() not in RESERVED_SCOPES]
    if len(scopes) != 1 or not scopes[0].endswith(DEFAULT_SCOPE_SUFFIX):
        raise errors.invalid_scope(request.scope)
    resource = scopes[0].removesuffix(DEFAULT_SCOPE_SUFFIX).rstrip("/")
    if not resource:
        raise errors.invalid_scope(request.scope)
    return resource
