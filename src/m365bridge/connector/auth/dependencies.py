"""Who is calling: one place resolves the principal of every request, and role checks build on it.

API endpoints depend on ``require_roles(...)``: HTTP Basic, a bearer token (the connector's own opaque
token or an Entra-issued JWT) or, for the UI's own calls, the session cookie plus an ``X-CSRF-Token``
header on unsafe methods. Pages depend on ``require_ui_user(...)``: session only, CSRF checked on every
unsafe method, and a redirect to ``/login`` when signed out.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from m365bridge.connector.api_errors import ApiError
from m365bridge.connector.auth import allowlist, sessions, throttle
from m365bridge.connector.auth.addresses import client_address
from m365bridge.connector.context import ConnectorContext, get_context
from m365bridge.connector.logs.refusals import log_refusal
from m365bridge.connector.users.models import User
from m365bridge.connector.users.roles import ADMIN
from m365bridge.connector.users.service import can_sign_in, verify_credentials
from m365bridge.shared.db import transaction

Method = Literal["session", "basic", "bearer", "oidc"]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Principal:
    user_id: str
    user_name: str
    roles: frozenset[str]
    method: Method

    def has_role(self, *roles: str) -> bool:
        """True when holding any of ``roles`` (or none asked); ``admin`` holds every role."""
        return not roles or ADMIN in self.roles or any(role in self.roles for role in roles)

    @classmethod
    def of(cls, user: User, method: Method) -> Principal:
        return cls(user_id=user.id, user_name=user.user_name, roles=user.roles, method=method)


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
    """Check a user name and password with brute-force throttling; refuse with 401 or 429."""
    context = get_context(request)
    address = client_address(request, context.settings.trusted_proxies)
    outcome: Principal | str
    with transaction(context.sessions, write=True) as session:
        if throttle.is_throttled(session, context.settings, user_name, address):
            outcome = "throttled"
        else:
            user = verify_credentials(session, user_name, password)
            if user is None or not can_sign_in(user):
                throttle.record_failure(session, user_name, address)
                outcome = "bad credentials" if user is None else "account inactive or locked"
            else:
                throttle.clear_account(session, user_name)
                outcome = Principal.of(user, method)
    if outcome == "throttled":
        refuse(request, 429, "Too many failed logins; try again later", f"{what}: throttled", user=user_name)
    if isinstance(outcome, str):
        refuse(request, 401, "Required to provide Auth information", f"{what}: {outcome}", user=user_name)
    return outcome


def _basic_principal(request: Request, credentials: str) -> Principal:
    try:
        user_name, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        refuse(request, 401, "Required to provide Auth information", "malformed Basic credentials")
    return authenticate_password(request, user_name, password, method="basic", what="Basic auth")


def _bearer_principal(request: Request, token: str) -> Principal:
    from m365bridge.connector.auth.bearer import resolve_bearer

    outcome = resolve_bearer(get_context(request), token)
    if isinstance(outcome, str):
        refuse(request, 401, "Required to provide Auth information", f"bearer token: {outcome}")
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
        refuse(request, 401, "Required to provide Auth information", "no credentials")
    principal, csrf = found
    if request.method not in SAFE_METHODS and not sessions.csrf_matches_token(
        csrf, request.headers.get(CSRF_HEADER)
    ):
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
