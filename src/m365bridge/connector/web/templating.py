"""Rendering pages: one Jinja2 environment, the base layout, flash messages and the CSRF token.

Template names are ``"<capability>/<file>.html"``: ``users/list.html`` is read from
``connector/users/templates/list.html``; names without a folder (``base.html``, ``home.html``) come from
``connector/web/templates``. Every page extends ``base.html``; forms include ``{{ csrf_field() }}``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    TemplateNotFound,
    select_autoescape,
)
from markupsafe import Markup

from m365bridge.connector.auth.dependencies import LoginRequired, PageForbidden
from m365bridge.connector.health.labels import enum_label, local_time
from m365bridge.shared.headers import SecurityHeaders

WEB_DIR = Path(__file__).parent
CONNECTOR_DIR = WEB_DIR.parent
FLASH_COOKIE = "m365bridge_flash"


class CapabilityLoader(BaseLoader):
    """``users/list.html`` → ``connector/users/templates/list.html``."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        package, _, rest = template.partition("/")
        if not rest or not package.isidentifier():
            raise TemplateNotFound(template)
        path = CONNECTOR_DIR / package / "templates" / rest
        if not path.is_file() or ".." in Path(rest).parts:
            raise TemplateNotFound(template)
        mtime = path.stat().st_mtime
        return path.read_text(encoding="utf-8"), str(path), lambda: path.stat().st_mtime == mtime


@cache
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(WEB_DIR / "templates"), CapabilityLoader()]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["enum_label"] = enum_label
    env.filters["local_time"] = local_time
    return env


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page with the signed-in user, CSRF token and any flash message from the previous redirect."""
    csrf = getattr(request.state, "csrf_token", "")
    values = {
        "request": request,
        "user": getattr(request.state, "principal", None),
        "csrf_token": csrf,
        "csrf_field": lambda: Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf),
        "flash": request.cookies.get(FLASH_COOKIE),
        "error": None,
        **context,
    }
    html = environment().get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code)
    if values["flash"]:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(url: str, flash: str | None = None) -> RedirectResponse:
    """A 303 after a successful form; ``flash`` shows once on the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(FLASH_COOKIE, flash, max_age=60, path="/", httponly=True, samesite="lax")
    return response


def install_web(app: FastAPI) -> None:
    """Static files, the sign-in redirect, the 403 page and the CSP header on every HTML answer."""
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def login_required(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)

    @app.exception_handler(PageForbidden)
    async def forbidden(request: Request, exc: PageForbidden) -> Response:
        return render(request, "error.html", status_code=403, title="Not allowed", message=str(exc))

    app.add_middleware(SecurityHeaders)
