"""``POST /oauth_token.do``: ServiceNow's token endpoint, form-encoded: password, refresh_token,
client_credentials (as the client's run-as user) and authorization_code grants (the code comes from
``/oauth_auth.do``, ``auth/authcode``).

The client authenticates with ``client_id``/``client_secret`` in the form body or, as RFC 6749 section
2.3.1 prefers (and requests-oauthlib under PySNC does), in an HTTP Basic ``Authorization`` header whose
two parts are form-urlencoded before base64. Using both at once is refused.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from m365bridge.connector.api_errors import token_error_body
from m365bridge.connector.auth.addresses import client_address
from m365bridge.connector.auth.authcode import service as authcode
from m365bridge.connector.auth.dependencies import authenticate_password, check_allowlist, refuse
from m365bridge.connector.auth.oauth import service
from m365bridge.connector.auth.oauth.service import GrantRefused, IssuedTokens
from m365bridge.connector.context import get_context
from m365bridge.connector.logs.refusals import log_refusal
from m365bridge.connector.users.repository import by_user_name
from m365bridge.shared.db import transaction

router = APIRouter(tags=["oauth"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post("/oauth_token.do")
def token(
    request: Request,
    grant_type: str = Form(...),
    client_id: str | None = Form(None),
    client_secret: str | None = Form(None),
    username: str | None = Form(None),
    password: str | None = Form(None),
    refresh_token: str | None = Form(None),
    code: str | None = Form(None),
    redirect_uri: str | None = Form(None),
    code_verifier: str | None = Form(None),
) -> JSONResponse:
    """Issue an access token (1800 s by default) and a refresh token, like ServiceNow's endpoint."""
    if grant_type not in ("password", "refresh_token", "authorization_code", "client_credentials"):
        _log_unsupported_grant(request, grant_type)
        body = token_error_body("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
        return JSONResponse(body, status_code=400)
    check_allowlist(request)
    client_id, client_secret = _client_credentials(request, client_id, client_secret)
    context = get_context(request)
    try:
        with transaction(context.sessions) as session:
            client = service.authenticate_client(session, client_id, client_secret)
    except GrantRefused as refusal:
        refuse(request, 401, "access_denied", f"token {grant_type} grant: {refusal}", client_id=client_id)
    if grant_type == "authorization_code":
        return _code_grant(request, client, code, redirect_uri, code_verifier)
    if grant_type == "client_credentials":
        return _client_credentials_grant(request, client)
    if grant_type == "password":
        tokens = _password_grant(request, client, username, password)
    else:
        tokens = _refresh_grant(request, client, refresh_token)
    return JSONResponse(tokens.as_response(), headers=NO_STORE)


def _client_credentials_grant(request: Request, client: service.OAuthClient) -> JSONResponse:
    """RFC 6749 section 5.2: a client without a run-as user is ``unauthorized_client`` for this grant."""
    context = get_context(request)
    outcome: IssuedTokens | GrantRefused
    with transaction(context.sessions, write=True) as session:
        try:
            outcome = service.client_credentials(session, client)
        except GrantRefused as refusal:
            outcome = refusal
    if isinstance(outcome, GrantRefused):
        error = "unauthorized_client" if client.run_as_user_id is None else "invalid_grant"
        return _grant_refused(request, client, error, outcome)
    return JSONResponse(outcome.as_response(), headers=NO_STORE)


def _grant_refused(
    request: Request, client: service.OAuthClient, error: str, refusal: GrantRefused
) -> JSONResponse:
    """A 400 in RFC 6749's shape, with a system-log line (the reason, never a credential)."""
    context = get_context(request)
    address = client_address(request, context.settings.trusted_proxies)
    facts = {"client_id": client.client_id}
    log_refusal(
        context, str(refusal), path=request.url.path, method=request.method, address=address, facts=facts
    )
    return JSONResponse(token_error_body(error, str(refusal)), status_code=400, headers=NO_STORE)


def _code_grant(
    request: Request,
    client: service.OAuthClient,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> JSONResponse:
    """RFC 6749 section 5.2: a bad code, redirect URI or PKCE verifier is ``invalid_grant`` (400)."""
    if not code:
        refuse(request, 400, "code is required", "authorization_code grant without a code")
    context = get_context(request)
    outcome: IssuedTokens | GrantRefused
    # A replayed code revokes the tokens it was exchanged for: commit that before answering.
    with transaction(context.sessions, write=True) as session:
        try:
            outcome = authcode.exchange(session, client, code, redirect_uri, code_verifier)
        except GrantRefused as refusal:
            outcome = refusal
    if isinstance(outcome, GrantRefused):
        return _grant_refused(request, client, "invalid_grant", outcome)
    return JSONResponse(outcome.as_response(), headers=NO_STORE)


def _log_unsupported_grant(request: Request, grant_type: str) -> None:
    """A system-log line like every other refusal; the grant type is cut short, no credential is logged."""
    context = get_context(request)
    address = client_address(request, context.settings.trusted_proxies)
    why = f"unsupported grant_type {grant_type[:40]!r}"
    log_refusal(context, why, path=request.url.path, method=request.method, address=address, facts={})


def _client_credentials(request: Request, form_id: str | None, form_secret: str | None) -> tuple[str, str]:
    """The client id and secret from the Basic header or the form body (exactly one of them)."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        if not form_id or form_secret is None:
            refuse(request, 400, "client_id and client_secret are required", "token request without client")
        return form_id, form_secret
    if form_secret is not None:
        refuse(request, 400, "send the client secret in the header or the body, not both", "two client auths")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        refuse(request, 401, "access_denied", "malformed Basic client credentials")
    header_id, separator, header_secret = decoded.partition(":")
    client_id = unquote_plus(header_id)
    if not separator or (form_id and form_id != client_id):
        refuse(request, 401, "access_denied", "Basic client credentials incomplete or not matching client_id")
    return client_id, unquote_plus(header_secret)


def _password_grant(
    request: Request, client: service.OAuthClient, username: str | None, password: str | None
) -> IssuedTokens:
    if not username or password is None:
        refuse(request, 400, "username and password are required", "password grant without credentials")
    principal = authenticate_password(request, username, password, method="bearer", what="password grant")
    context = get_context(request)
    with transaction(context.sessions, write=True) as session:
        user = by_user_name(session, principal.user_name)
        assert user is not None
        tokens = service.issue(session, client, user)
        service.keep_newest_grants(session, client, user, context.settings.oauth_grants_kept_per_user)
        return tokens


def _refresh_grant(request: Request, client: service.OAuthClient, refresh_token: str | None) -> IssuedTokens:
    if not refresh_token:
        refuse(request, 400, "refresh_token is required", "refresh grant without a refresh token")
    context = get_context(request)
    outcome: IssuedTokens | GrantRefused
    # A refusal may have revoked a token family: commit that before answering.
    with transaction(context.sessions, write=True) as session:
        try:
            outcome = service.refresh(context, session, client, refresh_token)
        except GrantRefused as refusal:
            outcome = refusal
    if isinstance(outcome, GrantRefused):
        refuse(request, 401, "access_denied", f"refresh grant: {outcome}", client_id=client.client_id)
    return outcome
