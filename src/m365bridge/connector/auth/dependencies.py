"""Who is calling: one place resolves the principal of every request, and role checks build on it.

API endpoints depend on ``require_roles(...)``: HTTP Basic, a bearer token (the connector's own opaque
token or an Entra-issued JWT) or, for the UI's own calls, the session cookie plus an ``X-CSRF-Token``
header on every method. Pages depend on ``require_ui_user(...)``: session only, CSRF checked on every
unsafe method, and a redirect to ``/login`` when signed out.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from m365bridge.connector.api_errors import ApiError
from m365bridge.connector.auth.addresses import client_address
from m365bridge.connector.auth.allowlist import service as allowlist
from m365bridge.connector.auth.bearer import resolve_bearer
from m365bridge.connector.auth.principal import Method, Principal
from m365bridge.connector.auth.sessions import service as sessions
from m365bridge.connector.context import ConnectorContext, get_context
from m365bridge.connector.logs.refusals import log_refusal
from m365bridge.shared.db import transaction

UNAUTHENTICATED = "Required to provide Auth information"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """A page needs a signed-in user; the web layer answers with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageForbidden(Exception):
    """A signed-in user lacks the page's role, or a form came without a valid CSRF token."""


def refuse(request: Request, status_code: int, detail: str, why: str, **facts: Any) -> NoReturn:
    """Log a refusal to the system log (never the credential itself; bounded, ``logs/refusals.py``) and
    answer ServiceNow-style."""
    context = get_context(request)
    address = client_address(request, context.settings.trusted_proxies)
    log_refusal(context, why, path=request.url.path, method=request.method, address=address, facts=facts)
    raise ApiError(status_code, detail)


def check_allowlist(request: Request) -> None:
    """When the allowlist is on, refuse inbound REST callers whose address is not on it."""
    context = get_context(request)
    if not context.settings.inbound_allowlist_enabled:
        return
    address = client_address(request, context.settings.trusted_proxies)
    with transaction(context.sessions) as session:
        allowed = allowlist.is_allowed(session, address)
    if not allowed:
        refuse(request, 403, f"Address {address} is not allowed to call this API", "address not allowed")


def authenticate_password(
    request: Request, user_name: str, password: str, *, method: Method, what: str
) -> Principal:
    """Check a user name and password (``sessions.service.check_password``); refuse with 401 or 429."""
    context = get_context(request)
    address = client_address(request, context.settings.trusted_proxies)
    outcome = sessions.check_password(context, user_name, password, address, method)
    if isinstance(outcome, Principal):
        return outcome
    detail = "Too many failed logins; try again later" if outcome.status_code == 429 else UNAUTHENTICATED
    refuse(request, outcome.status_code, detail, f"{what}: {outcome.why}", user=user_name)


def _basic_principal(request: Request, credentials: str) -> Principal:
    try:
        user_name, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        refuse(request, 401, UNAUTHENTICATED, "malformed Basic credentials")
    return authenticate_password(request, user_name, password, method="basic", what="Basic auth")


def _bearer_principal(request: Request, token: str) -> Principal:
    outcome = resolve_bearer(get_context(request), token)
    if isinstance(outcome, str):
        refuse(request, 401, UNAUTHENTICATED, f"bearer token: {outcome}")
    return outcome


def session_principal(request: Request) -> tuple[Principal, str] | None:
    """The principal of the session cookie and its CSRF token, or ``None`` (no sync DB calls after)."""
    token = request.cookies.get(sessions.SESSION_COOKIE)
    if not token:
        return None
    context: ConnectorContext = get_context(request)
    with transaction(context.sessions, write=True) as session:
        found = sessions.find_session(session, token, context.settings.session_idle_minutes)
        if found is None:
            return None
        principal = Principal.of(found[1], "session")
    csrf = sessions.csrf_token_for(token)
    request.state.principal = principal
    request.state.csrf_token = csrf
    return principal, csrf


def authenticate_api(request: Request) -> Principal:
    """Resolve the principal of an API call, or refuse it with 401/403/429."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() in ("basic", "bearer") and credentials.strip():
        check_allowlist(request)
        if scheme.lower() == "basic":
            principal = _basic_principal(request, credentials.strip())
        else:
            principal = _bearer_principal(request, credentials.strip())
        request.state.principal = principal
        return principal
    found = session_principal(request)
    if found is None:
        refuse(request, 401, UNAUTHENTICATED, "no credentials")
    principal, csrf = found
    # Every method, GET included: some API reads store something (an insights search is kept as the
    # incident's latest answer), and a cross-site page could otherwise trigger them with the cookie alone.
    if not sessions.csrf_matches_token(csrf, request.headers.get(CSRF_HEADER)):
        refuse(request, 403, "Missing or invalid X-CSRF-Token header", "session call without CSRF token")
    return principal


def require_roles(*roles: str) -> Callable[[Request], Principal]:
    """A dependency: the caller's principal; 401 if unauthenticated, 403 without any of ``roles``."""

    def dependency(request: Request) -> Principal:
        principal = authenticate_api(request)
        if not principal.has_role(*roles):
            refuse(
                request,
                403,
                f"This operation needs one of the roles: {', '.join(roles)}",
                "missing role",
                user=principal.user_name,
                needs=list(roles),
            )
        return principal

    return dependency


def require_ui_user(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """A page dependency: the signed-in user; redirect to /login when signed out; CSRF on unsafe methods."""

    async def dependency(request: Request) -> Principal:
        found = await run_in_threadpool(session_principal, request)
        if found is None:
            next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(next_path if request.method in SAFE_METHODS else "/")
        principal, csrf = found
        if request.method not in SAFE_METHODS:
            submitted = request.headers.get(CSRF_HEADER) or (await request.form()).get("csrf_token")
            if not sessions.csrf_matches_token(csrf, submitted if isinstance(submitted, str) else None):
                raise PageForbidden("The form has expired or did not come from this site; reload and retry.")
        if not principal.has_role(*roles):
            raise PageForbidden("You do not have a role that this page needs.")
        return principal

    return dependency
