"""``POST /oauth_token.do``: ServiceNow's token endpoint, form-encoded, password and refresh_token grants."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from m365bridge.connector.api_errors import token_error_body
from m365bridge.connector.auth import oauth_server
from m365bridge.connector.auth.dependencies import authenticate_password, check_allowlist, refuse
from m365bridge.connector.auth.oauth_server import GrantRefused, IssuedTokens
from m365bridge.connector.context import get_context
from m365bridge.connector.users.repository import by_user_name
from m365bridge.shared.db import transaction

router = APIRouter(tags=["oauth"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post("/oauth_token.do")
def token(
    request: Request,
    grant_type: str = Form(...),
    client_id: str = Form(...),
    client_secret: str = Form(...),
    username: str | None = Form(None),
    password: str | None = Form(None),
    refresh_token: str | None = Form(None),
) -> JSONResponse:
    """Issue an access token (1800 s by default) and a refresh token, like ServiceNow's endpoint."""
    if grant_type not in ("password", "refresh_token"):
        body = token_error_body("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
        return JSONResponse(body, status_code=400)
    check_allowlist(request)
    context = get_context(request)
    try:
        with transaction(context.sessions) as session:
            client = oauth_server.authenticate_client(session, client_id, client_secret)
    except GrantRefused as refusal:
        refuse(request, 401, "access_denied", f"token {grant_type} grant: {refusal}", client_id=client_id)
    if grant_type == "password":
        tokens = _password_grant(request, client, username, password)
    else:
        tokens = _refresh_grant(request, client, refresh_token)
    return JSONResponse(tokens.as_response(), headers=NO_STORE)


def _password_grant(
    request: Request, client: oauth_server.OAuthClient, username: str | None, password: str | None
) -> IssuedTokens:
    if not username or password is None:
        refuse(request, 400, "username and password are required", "password grant without credentials")
    principal = authenticate_password(request, username, password, method="bearer", what="password grant")
    with transaction(get_context(request).sessions) as session:
        user = by_user_name(session, principal.user_name)
        assert user is not None
        return oauth_server.issue(session, client, user)


def _refresh_grant(
    request: Request, client: oauth_server.OAuthClient, refresh_token: str | None
) -> IssuedTokens:
    if not refresh_token:
        refuse(request, 400, "refresh_token is required", "refresh grant without a refresh token")
    context = get_context(request)
    outcome: IssuedTokens | GrantRefused
    # A refusal may have revoked a token family: commit that before answering.
    with transaction(context.sessions) as session:
        try:
            outcome = oauth_server.refresh(context, session, client, refresh_token)
        except GrantRefused as refusal:
            outcome = refusal
    if isinstance(outcome, GrantRefused):
        refuse(request, 401, "access_denied", f"refresh grant: {outcome}", client_id=client.client_id)
    return outcome
