"""Rendering cloud pages in the shared layout (``templates/base.html``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

WEB = Path(__file__).parent
templates = Jinja2Templates(directory=str(WEB / "templates"))

# Notices a redirect may ask a page to show; a code, never free text, so links cannot inject messages.
NOTICES = {
    "saved": "Your changes were saved.",
    "deleted": "The repository was deleted.",
    "replied": "Your reply was sent.",
    "status": "The case status was changed.",
    "retried": "The event was queued for delivery again.",
    "signedout": "You are signed out.",
}


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the signed-in person (``request.state.signed_in``) and any notice."""
    signed_in = getattr(request.state, "signed_in", None)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return templates.TemplateResponse(
        request,
        template,
        {"signed_in": signed_in, "notice": notice, **context},
        status_code=status_code,
    )


def mount_static(app: FastAPI) -> None:
    app.mount("/portal/static", StaticFiles(directory=str(WEB / "static")), name="cloud-static")
