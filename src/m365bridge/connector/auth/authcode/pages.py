"""``/oauth_auth.do``: ServiceNow's authorization endpoint. The signed-in user (the sign-in page first when
signed out) allows or denies the client; the answer goes to the client's registered redirect URL.

A wrong client or redirect URI is shown to the user, never redirected (RFC 6749 section 4.1.2.1): sending
it to an unchecked URI would make this an open redirector.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from m365bridge.connector.auth.addresses import client_address
from m365bridge.connector.auth.authcode import service
from m365bridge.connector.auth.authcode.service import AuthorizationRefused
from m365bridge.connector.auth.dependencies import session_principal
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.auth.sessions import service as sessions
from m365bridge.connector.context import get_context
from m365bridge.connector.logs.refusals import log_refusal
from m365bridge.connector.users import repository as users
from m365bridge.connector.web.templating import render
from m365bridge.shared.db import transaction
from m365bridge.shared.headers import CSP

router = APIRouter(include_in_schema=False)
PATH = "/oauth_auth.do"


def _redirect(redirect_uri: str, params: dict[str, str], state: str | None) -> Response:
    if state is not None:
        params = {**params, "state": state}
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", status_code=303)


def _refused(
    request: Request, refusal: AuthorizationRefused, redirect_uri: str, state: str | None
) -> Response:
    context = get_context(request)
    address = client_address(request, context.settings.trusted_proxies)
    facts = {"error": refusal.error}
    log_refusal(
        context,
        f"authorize: {refusal.description}",
        path=PATH,
        method=request.method,
        address=address,
        facts=facts,
    )
    if refusal.redirect:
        return _redirect(
            redirect_uri, {"error": refusal.error, "error_description": refusal.description}, state
        )
    return render(
        request, "error.html", status_code=400, title="Sign-in request refused", message=refusal.description
    )


def _check(
    request: Request,
    client_id: str,
    redirect_uri: str,
    response_type: str,
    challenge: str | None,
    method: str | None,
) -> str:
    """The client's name, or raise the refusal."""
    with transaction(get_context(request).sessions) as session:
        client = service.check_client(session, client_id, redirect_uri)
        name = client.name
    service.check_request(response_type, challenge, method)
    return name


@router.get(PATH)
async def authorize(
    request: Request,
    response_type: str = "",
    client_id: str = "",
    redirect_uri: str = "",
    state: str | None = None,
    code_challenge: str | None = None,
    code_challenge_method: str | None = None,
) -> Response:
    try:
        client_name = await run_in_threadpool(
            _check, request, client_id, redirect_uri, response_type, code_challenge, code_challenge_method
        )
    except AuthorizationRefused as refusal:
        return await run_in_threadpool(_refused, request, refusal, redirect_uri, state)
    found = await run_in_threadpool(session_principal, request)
    if found is None:
        here = f"{PATH}?{request.url.query}"
        return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)
    principal, _csrf = found
    page = render(
        request,
        "auth/authorize.html",
        title="Allow access",
        client_name=client_name,
        user_name=principal.user_name,
        fields={
            "response_type": response_type,
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": code_challenge_method,
        },
    )
    # Allow's answer redirects to the client: a browser applies form-action to that redirect too.
    target = urlsplit(redirect_uri)
    page.headers["content-security-policy"] = CSP.replace(
        "form-action 'self'", f"form-action 'self' {target.scheme}://{target.netloc}"
    )
    return page


@router.post(PATH)
async def decide(
    request: Request,
    response_type: str = Form(""),
    client_id: str = Form(""),
    redirect_uri: str = Form(""),
    state: str | None = Form(None),
    code_challenge: str | None = Form(None),
    code_challenge_method: str | None = Form(None),
    decision: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    # The CSRF check comes first, as on every form: a forged post learns nothing about the client.
    found = await run_in_threadpool(session_principal, request)
    if found is not None and not sessions.csrf_matches_token(found[1], csrf_token):
        message = "The form has expired or did not come from this site; start the sign-in again."
        return render(request, "error.html", status_code=403, title="Not allowed", message=message)
    try:
        await run_in_threadpool(
            _check, request, client_id, redirect_uri, response_type, code_challenge, code_challenge_method
        )
    except AuthorizationRefused as refusal:
        return await run_in_threadpool(_refused, request, refusal, redirect_uri, state)
    if found is None:
        return RedirectResponse("/login", status_code=303)
    principal = found[0]
    if decision != "allow":
        return _redirect(
            redirect_uri, {"error": "access_denied", "error_description": "The user denied access."}, state
        )
    code = await run_in_threadpool(_issue, request, principal, client_id, redirect_uri, code_challenge)
    return _redirect(redirect_uri, {"code": code}, state)


def _issue(
    request: Request, principal: Principal, client_id: str, redirect_uri: str, challenge: str | None
) -> str:
    with transaction(get_context(request).sessions, write=True) as session:
        client = service.check_client(session, client_id, redirect_uri)
        user = users.by_id(session, principal.user_id)
        assert user is not None  # the session was found for this user a moment ago
        return service.issue_code(session, client, user, redirect_uri, challenge)
