"""Support integration logic shared by the admin API and the admin pages. Never commits.

Bad input raises ``UserError`` before anything is changed, so a rejected save leaves the stored settings
as they were.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from m365bridge.cloud.integration import repository
from m365bridge.cloud.integration.models import (
    AAD_AUTH,
    BASIC_AUTH,
    DEFAULT_REFRESH_TOKEN_EXPIRY,
    SupportIntegration,
    SupportRepository,
)
from m365bridge.shared.errors import Conflict, NotFound, UserError
from m365bridge.shared.outbound import OutboundPolicy, check_url
from m365bridge.shared.secretbox import SecretBox

AUTH_TYPES = (BASIC_AUTH, AAD_AUTH)
SUPPORT_TOOLS = ("ServiceNow",)
REPOSITORY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
MAX_REFRESH_TOKEN_EXPIRY = 10 * 365 * 86400
# Callers pass the side's policy (``connectors.client.outbound_policy``); without one, public https only.
STRICT = OutboundPolicy()


@dataclass(frozen=True)
class RepositoryInput:
    """A repository as an admin typed it. A secret of ``None`` keeps the stored one (edits)."""

    repository_id: str
    endpoint: str
    auth_type: str
    client_id: str = ""
    client_secret: str | None = None
    refresh_token_expiry: int = DEFAULT_REFRESH_TOKEN_EXPIRY
    rest_username: str = ""
    rest_password: str | None = None
    token_audience: str = ""


def get_integration(session: Session, tenant_id: str) -> SupportIntegration:
    found = repository.integration(session, tenant_id)
    return found or SupportIntegration(tenant_id=tenant_id, support_tool="ServiceNow", app_id="")


def configured_app_id(session: Session, tenant_id: str) -> str | None:
    found = repository.integration(session, tenant_id)
    return found.app_id if found and found.app_id else None


def save_basic_information(
    session: Session, tenant_id: str, *, app_id: str, support_tool: str = "ServiceNow"
) -> SupportIntegration:
    app_id = app_id.strip()
    if support_tool not in SUPPORT_TOOLS:
        raise UserError(f"internal support tool {support_tool!r} is not supported; choose ServiceNow")
    if not app_id:
        raise UserError("enter the Application ID to issue Auth Token (the connector's outbound app id)")
    if len(app_id) > 64 or any(c.isspace() for c in app_id):
        raise UserError(f"{app_id!r} is not an application id; copy it from the connector's last setup step")
    found = repository.integration(session, tenant_id)
    if found is None:
        found = SupportIntegration(tenant_id=tenant_id)
        session.add(found)
    found.support_tool = support_tool
    found.app_id = app_id
    session.flush()
    return found


def list_repositories(session: Session, tenant_id: str) -> Sequence[SupportRepository]:
    return repository.repositories(session, tenant_id)


def get_repository(session: Session, tenant_id: str, repository_id: str) -> SupportRepository:
    found = repository.repository(session, tenant_id, repository_id)
    if found is None:
        raise NotFound(f"repository {repository_id!r} is not configured for this tenant; add it first")
    return found


def validate_endpoint(url: str, policy: OutboundPolicy | None) -> str:
    """The Endpoint as stored: an https URL to a public address (``shared.outbound``), or anything the
    development setting allows. ``policy`` ``None``: the form only (an unchanged, already stored Endpoint)."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UserError(f"endpoint {url!r} is not a URL; enter e.g. https://contoso.service-now.com")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise UserError("the endpoint must not carry a query, fragment or credentials")
    if policy is not None:
        check_url(url, policy, what="endpoint")
    return url


def _checked(
    data: RepositoryInput, existing: SupportRepository | None, policy: OutboundPolicy
) -> RepositoryInput:
    if not REPOSITORY_ID.match(data.repository_id):
        raise UserError(
            f"repository id {data.repository_id!r} is not valid: use up to 100 letters, digits, '.', '_', "
            "':' or '-'; copy it from the connector's setup"
        )
    if data.auth_type not in AUTH_TYPES:
        raise UserError(f"authentication type {data.auth_type!r} is unknown; choose Basic Auth or AAD Auth")
    if not 60 <= data.refresh_token_expiry <= MAX_REFRESH_TOKEN_EXPIRY:
        raise UserError("refresh token expiry must be between 60 seconds and 10 years (default 864000)")
    endpoint = data.endpoint.strip()
    if data.auth_type == BASIC_AUTH or "://" in endpoint:
        # An unchanged Endpoint was checked when it was stored; saving other fields must not fail on it.
        unchanged = existing is not None and endpoint.rstrip("/") == existing.endpoint
        endpoint = validate_endpoint(endpoint, None if unchanged else policy)
    elif not endpoint:
        raise UserError("enter an endpoint (Insights only: any value, e.g. 'ignored')")
    if data.auth_type == BASIC_AUTH:
        has_secret = data.client_secret or (existing and existing.client_secret_encrypted)
        has_password = data.rest_password or (existing and existing.rest_password_encrypted)
        missing = [
            label
            for label, value in (
                ("Client ID", data.client_id.strip()),
                ("Client secret", has_secret),
                ("Rest username", data.rest_username.strip()),
                ("Rest user password", has_password),
            )
            if not value
        ]
        if missing:
            raise UserError(f"Basic Auth needs: {', '.join(missing)}")
    return RepositoryInput(
        repository_id=data.repository_id,
        endpoint=endpoint,
        auth_type=data.auth_type,
        client_id=data.client_id.strip(),
        client_secret=data.client_secret or None,
        refresh_token_expiry=data.refresh_token_expiry,
        rest_username=data.rest_username.strip(),
        rest_password=data.rest_password or None,
        token_audience=data.token_audience.strip(),
    )


def _apply(target: SupportRepository, data: RepositoryInput, secrets: SecretBox) -> None:
    target.repository_id = data.repository_id
    target.endpoint = data.endpoint
    target.auth_type = data.auth_type
    target.client_id = data.client_id
    target.refresh_token_expiry = data.refresh_token_expiry
    target.rest_username = data.rest_username
    target.token_audience = data.token_audience
    if data.client_secret is not None:
        target.client_secret_encrypted = secrets.encrypt(data.client_secret)
    if data.rest_password is not None:
        target.rest_password_encrypted = secrets.encrypt(data.rest_password)


def add_repository(
    session: Session,
    tenant_id: str,
    data: RepositoryInput,
    secrets: SecretBox,
    policy: OutboundPolicy = STRICT,
) -> SupportRepository:
    checked = _checked(data, None, policy)
    if repository.repository(session, tenant_id, checked.repository_id):
        raise Conflict(f"repository {checked.repository_id!r} already exists; edit it instead")
    created = SupportRepository(tenant_id=tenant_id)
    _apply(created, checked, secrets)
    session.add(created)
    session.flush()
    return created


def update_repository(
    session: Session,
    tenant_id: str,
    repository_id: str,
    data: RepositoryInput,
    secrets: SecretBox,
    policy: OutboundPolicy = STRICT,
) -> SupportRepository:
    existing = get_repository(session, tenant_id, repository_id)
    checked = _checked(data, existing, policy)
    if checked.repository_id != repository_id and repository.repository(
        session, tenant_id, checked.repository_id
    ):
        raise Conflict(f"repository {checked.repository_id!r} already exists; choose another id")
    _apply(existing, checked, secrets)
    session.flush()
    return existing


def delete_repository(session: Session, tenant_id: str, repository_id: str) -> None:
    session.delete(get_repository(session, tenant_id, repository_id))
    session.flush()
