"""The cloud UI's sign-in, sign-out and landing pages."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from m365bridge.cloud.context import get_context, get_session
from m365bridge.cloud.directory import service, throttle
from m365bridge.cloud.directory.dependencies import (
    LOGIN_PATH,
    SESSION_COOKIE,
    require_ui_form,
    require_ui_user,
)
from m365bridge.cloud.directory.roles import SUPPORT_ENGINEER, TENANT_ADMIN_ROLES
from m365bridge.cloud.directory.service import SignedIn
from m365bridge.cloud.web.templating import render

router = APIRouter(prefix="/portal", include_in_schema=False)
LOGIN_CSRF_COOKIE = "m365cloud_login_csrf"


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an absolute or scheme-relative URL would make the login an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/portal"


def _login_page(
    request: Request, next_path: str, error: str | None = None, status_code: int = 200
) -> Response:
    csrf = secrets.token_urlsafe(24)
    response = render(
        request, "login.html", csrf_token=csrf, next_path=next_path, error=error, status_code=status_code
    )
    secure = get_context(request).settings.tls
    response.set_cookie(
        LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="lax", secure=secure, path=LOGIN_PATH
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, _safe_next(next))


@router.post("/login")
def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/portal"),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(request, _safe_next(next), "The sign-in form expired; try again.", 403)
    address = request.client.host if request.client else "unknown"
    try:
        user = throttle.sign_in(get_context(request), email, password, address)
    except throttle.TooManyFailures as refused:
        page = _login_page(request, _safe_next(next), str(refused), 429)
        page.headers["Retry-After"] = str(refused.retry_after)
        return page
    if user is None:
        return _login_page(request, _safe_next(next), "Your account or password is incorrect.", 401)
    token = service.start_ui_session(session, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    settings = get_context(request).settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.tls,
        path="/",
        max_age=settings.ui_idle_timeout_seconds * 16,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=LOGIN_PATH)
    return response


@router.post("/logout")
def logout(
    request: Request,
    _signed_in: SignedIn = Depends(require_ui_form()),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    service.end_ui_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse(f"{LOGIN_PATH}?notice=signedout", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("", response_class=HTMLResponse)
def home(request: Request, signed_in: SignedIn = Depends(require_ui_user())) -> Response:
    """Send each person to what they can use: admins to their settings, engineers to the queue."""
    if signed_in.user.roles & TENANT_ADMIN_ROLES:
        return RedirectResponse("/portal/settings/support-integration", status_code=303)
    if SUPPORT_ENGINEER in signed_in.user.roles:
        return RedirectResponse("/console", status_code=303)
    return render(request, "home.html")
