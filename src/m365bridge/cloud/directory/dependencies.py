"""Who is signed in to the cloud's pages, and the checks every page and form goes through."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session

from m365bridge.cloud.context import get_context, get_session
from m365bridge.cloud.directory import service
from m365bridge.cloud.directory.service import SignedIn
from m365bridge.shared.db import intend_to_write

SESSION_COOKIE = "m365cloud_session"
LOGIN_PATH = "/portal/login"


def current_signed_in(
    request: Request, session: Session = Depends(get_session, scope="function")
) -> SignedIn | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    timeout = get_context(request).settings.ui_idle_timeout_seconds
    # Resuming reads the UI session, then may write it (last seen, or gone when idle), on GET pages too:
    # a writer from the start, or the outbox worker committing in between makes that write fail at once.
    signed_in = service.resume_ui_session(intend_to_write(session), token, timeout)
    request.state.signed_in = signed_in
    return signed_in


def _login_redirect(request: Request) -> HTTPException:
    target = quote(request.url.path, safe="/")
    return HTTPException(status.HTTP_303_SEE_OTHER, headers={"Location": f"{LOGIN_PATH}?next={target}"})


def require_ui_user(*roles: str) -> Callable[..., SignedIn]:
    """A page dependency: the signed-in person holding any of ``roles`` (any person when none given).

    Unauthenticated visitors are sent to the login page; signed-in people without the role get 403.
    """

    def dependency(request: Request, signed_in: SignedIn | None = Depends(current_signed_in)) -> SignedIn:
        if signed_in is None:
            raise _login_redirect(request)
        if roles and not signed_in.user.roles & set(roles):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "You do not have a role that can open this page.")
        return signed_in

    return dependency


def require_ui_form(*roles: str) -> Callable[..., Awaitable[SignedIn]]:
    """Like ``require_ui_user`` for form posts, and the form's ``csrf_token`` must match the session's."""
    page_user = require_ui_user(*roles)

    async def dependency(request: Request, signed_in: SignedIn = Depends(page_user)) -> SignedIn:
        form = await request.form()
        sent = form.get("csrf_token")
        if not isinstance(sent, str) or not hmac.compare_digest(sent, signed_in.csrf_token):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "The form expired or did not come from this site; reload the page."
            )
        return signed_in

    return dependency
