"""Entra ID's public protocol: token endpoints, OpenID discovery documents and signing keys (JWKS)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext, get_context, get_session
from m365bridge.cloud.identity import claims, errors, keys, repository
from m365bridge.cloud.identity.errors import AADSTSError
from m365bridge.cloud.identity.grants import TokenRequest, grant_client_credentials
from m365bridge.cloud.identity.models import Tenant

router = APIRouter(tags=["identity"])

NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
# Key sets are the same for every tenant; these names are accepted in their URLs as Entra accepts them.
COMMON_TENANTS = frozenset({"common", "organizations"})


def _error_response(error: AADSTSError, request: Request) -> JSONResponse:
    body = error.body(request.headers.get("client-request-id"))
    return JSONResponse(body, status_code=error.status_code, headers=NO_STORE)


def _basic_credentials(authorization: str | None) -> tuple[str | None, str | None]:
    """client_secret_basic: both parts are form-urlencoded before base64 (RFC 6749 section 2.3.1)."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, _, secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(secret)


def _token(
    request: Request, session: Session, context: CloudContext, tenant: str, form: TokenRequest
) -> JSONResponse:
    try:
        issued, requested = grant_client_credentials(session, context.settings, context.secrets, tenant, form)
    except AADSTSError as error:
        return _error_response(error, request)
    if form.endpoint_version == 2:
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "ext_expires_in": issued.expires_in,
            "access_token": issued.access_token,
        }
    else:
        body = {
            "token_type": "Bearer",
            "expires_in": str(issued.expires_in),
            "ext_expires_in": str(issued.expires_in),
            "expires_on": str(issued.expires_on),
            "not_before": str(issued.not_before),
            "resource": requested,
            "access_token": issued.access_token,
        }
    return JSONResponse(body, headers=NO_STORE)


@router.post("/{tenant}/oauth2/token")
def token_v1(
    request: Request,
    tenant: str,
    grant_type: str | None = Form(None),
    client_id: str | None = Form(None),
    client_secret: str | None = Form(None),
    resource: str | None = Form(None),
    authorization: str | None = Header(None),
    session: Session = Depends(get_session, scope="function"),
    context: CloudContext = Depends(get_context),
) -> JSONResponse:
    """Azure AD v1 token endpoint: client credentials for a ``resource``."""
    basic_id, basic_secret = _basic_credentials(authorization)
    form = TokenRequest(
        1, grant_type, client_id or basic_id, client_secret or basic_secret, resource=resource
    )
    return _token(request, session, context, tenant, form)


@router.post("/{tenant}/oauth2/v2.0/token")
def token_v2(
    request: Request,
    tenant: str,
    grant_type: str | None = Form(None),
    client_id: str | None = Form(None),
    client_secret: str | None = Form(None),
    scope: str | None = Form(None),
    authorization: str | None = Header(None),
    session: Session = Depends(get_session, scope="function"),
    context: CloudContext = Depends(get_context),
) -> JSONResponse:
    """Microsoft identity platform (v2.0) token endpoint: client credentials for ``{resource}/.default``."""
    basic_id, basic_secret = _basic_credentials(authorization)
    form = TokenRequest(2, grant_type, client_id or basic_id, client_secret or basic_secret, scope=scope)
    return _token(request, session, context, tenant, form)


@router.get("/{tenant}/oauth2/authorize")
@router.get("/{tenant}/oauth2/v2.0/authorize")
def authorize(request: Request, response_type: str = "code") -> JSONResponse:
    """Interactive sign-in is not offered: only application (client-credentials) tokens are issued."""
    return _error_response(errors.interactive_unsupported(response_type), request)


def _tenant_or_error(session: Session, tenant: str) -> Tenant:
    found = repository.find_tenant(session, tenant)
    if found is None:
        raise errors.tenant_not_found(tenant)
    return found


def _discovery(context: CloudContext, tenant: Tenant, version: str) -> dict[str, Any]:
    base = context.settings.base_url
    v2 = "/v2.0" if version == "2.0" else ""
    document: dict[str, Any] = {
        "token_endpoint": f"{base}/{tenant.id}/oauth2{v2}/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "jwks_uri": f"{base}/{tenant.id}/discovery{v2}/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": claims.issuer(context.settings, version, tenant.id),
        "request_uri_parameter_supported": False,
        "authorization_endpoint": f"{base}/{tenant.id}/oauth2{v2}/authorize",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/{tenant.id}/oauth2{v2}/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "roles", "ver"],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    }
    if version == "2.0":
        document["claims_supported"] += ["azp", "azpacr"]
    else:
        document["claims_supported"] += ["appid", "appidacr", "idp"]
    return document


@router.get("/{tenant}/.well-known/openid-configuration")
def discovery_v1(
    request: Request,
    tenant: str,
    session: Session = Depends(get_session, scope="function"),
    context: CloudContext = Depends(get_context),
) -> JSONResponse:
    try:
        return JSONResponse(_discovery(context, _tenant_or_error(session, tenant), "1.0"))
    except AADSTSError as error:
        return _error_response(error, request)


@router.get("/{tenant}/v2.0/.well-known/openid-configuration")
def discovery_v2(
    request: Request,
    tenant: str,
    session: Session = Depends(get_session, scope="function"),
    context: CloudContext = Depends(get_context),
) -> JSONResponse:
    try:
        return JSONResponse(_discovery(context, _tenant_or_error(session, tenant), "2.0"))
    except AADSTSError as error:
        return _error_response(error, request)


def _key_set(
    request: Request, session: Session, context: CloudContext, tenant: str, version: str
) -> JSONResponse:
    found = None if tenant.lower() in COMMON_TENANTS else repository.find_tenant(session, tenant)
    if found is None and tenant.lower() not in COMMON_TENANTS:
        return _error_response(errors.tenant_not_found(tenant), request)
    keys.ensure_active_key(session, context.secrets)
    grace = dt.timedelta(hours=context.settings.identity_key_grace_hours)
    # Entra's v2 key set names the issuer each key signs for, with a {tenantid} placeholder.
    issuer = claims.issuer(context.settings, "2.0", "{tenantid}") if version == "2.0" else None
    published = keys.published_keys(session, grace)
    return JSONResponse({"keys": [keys.jwk(key, issuer) for key in published]})


@router.get("/{tenant}/discovery/keys")
def keys_v1(
    request: Request,
    tenant: str,
    session: Session = Depends(get_session, scope="function"),
    context: CloudContext = Depends(get_context),
) -> JSONResponse:
    return _key_set(request, session, context, tenant, "1.0")


@router.get("/{tenant}/discovery/v2.0/keys")
def keys_v2(
    request: Request,
    tenant: str,
    session: Session = Depends(get_session, scope="function"),
    context: CloudContext = Depends(get_context),
) -> JSONResponse:
    return _key_set(request, session, context, tenant, "2.0")
