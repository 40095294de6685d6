"""Signing in and out of the UI, and the home page.

The sign-in form carries its own CSRF token, bound to a short-lived pre-login cookie, so that another site
cannot sign a browser into an attacker's account. A successful sign-in always opens a new session (and ends
the one the browser came with), so a planted cookie is useless.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from m365bridge.connector.api_errors import ApiError
from m365bridge.connector.auth.dependencies import authenticate_password, require_ui_user, session_principal
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.auth.servicenow import service as servicenow_signin
from m365bridge.connector.auth.sessions import service
from m365bridge.connector.context import get_context
from m365bridge.connector.logs import system_log
from m365bridge.connector.users.repository import by_user_name
from m365bridge.connector.web.templating import render
from m365bridge.shared.db import transaction
from m365bridge.shared.tokens import new_token

router = APIRouter(include_in_schema=False)
LOGIN_FAILED = "Invalid user name or password."


def safe_next(target: str | None) -> str:
    """Only a local path: no scheme, no host, no ``//`` or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return "/"
    if any(ord(c) < 32 for c in target):
        return "/"
    return target


def cookie_secure(request: Request) -> bool:
    configured = get_context(request).settings.cookie_secure
    return request.url.scheme == "https" if configured is None else configured


def _login_page(
    request: Request, next_path: str, error: str | None = None, status_code: int = 200
) -> Response:
    secret = request.cookies.get(service.LOGIN_CSRF_COOKIE) or new_token()
    response = render(
        request,
        "auth/login.html",
        status_code=status_code,
        title="Sign in",
        next_path=safe_next(next_path),
        login_csrf=service.csrf_token_for(secret, "login"),
        error=error,
        servicenow_signin=servicenow_signin.offered(get_context(request)),
    )
    response.set_cookie(
        service.LOGIN_CSRF_COOKIE,
        secret,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/login",
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return _login_page(request, next)


@router.post("/login")
def login(
    request: Request,
    user_name: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/"),
) -> Response:
    secret = request.cookies.get(service.LOGIN_CSRF_COOKIE)
    if not secret or not service.csrf_matches_token(service.csrf_token_for(secret, "login"), csrf_token):
        return _login_page(request, next, "The sign-in form expired; please try again.", 403)
    try:
        principal = authenticate_password(
            request, user_name.strip(), password, method="session", what="UI login"
        )
    except ApiError as refusal:
        message = refusal.detail if refusal.status_code == 429 else LOGIN_FAILED
        return _login_page(request, next, str(message), refusal.status_code)
    context = get_context(request)
    with transaction(context.sessions, write=True) as session:
        user = by_user_name(session, principal.user_name)
        if user is None or user.web_service_access_only:
            refused = True
            system_log.write(
                session,
                "warning",
                "UI login refused: web service access only",
                context={"user": principal.user_name, "path": "/login"},
            )
        else:
            refused = False
            old = request.cookies.get(service.SESSION_COOKIE)
            if old:
                service.end_session(session, old)
            token = service.open_session(session, user)
    if refused:
        return _login_page(request, next, "This account is for web services only and cannot sign in.", 403)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        service.SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )
    response.delete_cookie(service.LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, _principal: Principal = Depends(require_ui_user())) -> Response:
    token = request.cookies.get(service.SESSION_COOKIE)
    if token:
        with transaction(get_context(request).sessions, write=True) as session:
            service.end_session(session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(service.SESSION_COOKIE, path="/")
    return response


@router.get("/")
async def home(request: Request) -> Response:
    found = await run_in_threadpool(session_principal, request)
    if found is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "home.html", title="Home")
