"""``/auth/servicenow/login`` and ``/auth/servicenow/callback``: "Sign in with ServiceNow".

The callback trusts nothing from the query but the code: the state must equal the one in this browser's
pending cookie (else another site could make the browser sign in with the attacker's code), and ``next``
comes from that cookie, checked as a local path when the sign-in began and again before the redirect.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from m365bridge.connector.auth.addresses import client_address
from m365bridge.connector.auth.servicenow import service
from m365bridge.connector.auth.servicenow.client import SignInClient, SignInFailed
from m365bridge.connector.auth.sessions import service as sessions
from m365bridge.connector.auth.sessions.pages import cookie_secure, safe_next
from m365bridge.connector.context import get_context
from m365bridge.connector.logs.refusals import log_refusal
from m365bridge.connector.web.templating import render
from m365bridge.shared.db import transaction

router = APIRouter(include_in_schema=False)
PENDING_COOKIE = "m365bridge_servicenow_signin"
COOKIE_PATH = "/auth/servicenow"
START_AGAIN = "Start the sign-in again from the connector's sign-in page."


def _problem(request: Request, status_code: int, message: str, why: str) -> Response:
    context = get_context(request)
    address = client_address(request, context.settings.trusted_proxies)
    log_refusal(
        context,
        f"ServiceNow sign-in: {why}",
        path=request.url.path,
        method=request.method,
        address=address,
        facts={},
    )
    response = render(
        request,
        "error.html",
        status_code=status_code,
        title="Sign-in with ServiceNow failed",
        message=message,
    )
    response.delete_cookie(PENDING_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/auth/servicenow/login")
def login(request: Request, next: str = "/") -> Response:
    context = get_context(request)
    config = service.load_config(context)
    if config is None:
        message = (
            "Sign-in with ServiceNow is not set up: an administrator must configure the ServiceNow instance "
            "and its OAuth client (m365bridge connector servicenow-signin set)."
        )
        return render(request, "error.html", status_code=404, title="Not set up", message=message)
    authorize_url, cookie = service.begin(context, config, safe_next(next))
    response = RedirectResponse(authorize_url, status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        cookie,
        max_age=service.PENDING_SECONDS,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path=COOKIE_PATH,
    )
    return response


@router.get("/auth/servicenow/callback")
def callback(
    request: Request,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> Response:
    context = get_context(request)
    pending = service.pending(context, request.cookies.get(PENDING_COOKIE))
    if pending is None:
        return _problem(
            request,
            400,
            f"This sign-in expired or was not started in this browser. {START_AGAIN}",
            "no pending sign-in",
        )
    if not state or not hmac.compare_digest(state.encode(), pending.state.encode()):
        return _problem(
            request,
            400,
            f"The sign-in answer does not belong to this browser's sign-in. {START_AGAIN}",
            "state mismatch",
        )
    if error or not code:
        reason = (error_description or error or "no authorization code")[:200]
        return _problem(
            request,
            403,
            f"The ServiceNow instance did not sign you in: {reason}",
            f"instance answered {(error or 'no code')[:40]}",
        )
    config = service.load_config(context)
    if config is None:
        return _problem(request, 404, "Sign-in with ServiceNow is no longer set up.", "not configured")
    try:
        with SignInClient(context, config.instance_url) as instance:
            access_token = instance.exchange_code(
                code=code,
                redirect_uri=service.redirect_uri(context.settings),
                code_verifier=pending.verifier,
                client_id=config.client_id,
                client_secret=config.client_secret,
            )
            identity = instance.identity(access_token)
    except SignInFailed as failure:
        return _problem(request, 502, f"Sign-in with ServiceNow failed: {failure}", str(failure))
    roles = service.map_roles(context.settings, identity.roles)
    if not roles:
        needed = ", ".join(service.needed_roles(context.settings))
        message = (
            f"Your ServiceNow account {identity.user_name} has none of the roles that give access to "
            f"Microsoft 365 support. Ask your ServiceNow administrator for one of: {needed}."
        )
        return _problem(request, 403, message, f"{identity.user_name[:80]} holds no mapped role")
    with transaction(context.sessions, write=True) as session:
        user = service.link_account(session, config.instance_url, identity, roles)
        token = None
        if user is not None:
            old = request.cookies.get(sessions.SESSION_COOKIE)
            if old:
                sessions.end_session(session, old)
            token = sessions.open_session(session, user)
    if token is None:
        return _problem(
            request, 403, "Your account is deactivated or locked on the connector.", "connector user inactive"
        )
    response = RedirectResponse(safe_next(pending.next_path), status_code=303)
    response.set_cookie(
        sessions.SESSION_COOKIE, token, httponly=True, samesite="lax", secure=cookie_secure(request), path="/"
    )
    response.delete_cookie(PENDING_COOKIE, path=COOKIE_PATH)
    return response
