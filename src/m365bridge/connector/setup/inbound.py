"""The connector's inbound Endpoint (``/api/x_mioms_m365_assis/inbound``) and who may call it.

The support service treats the Endpoint as a ServiceNow instance URL: in Basic mode it logs in at
``{Endpoint}/oauth_token.do`` (the same token endpoint as ``/oauth_token.do``), then calls
``{Endpoint}/probe`` and ``{Endpoint}/v1/events`` with the bearer token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from m365bridge.connector.auth.bearer import cached_bearer
from m365bridge.connector.auth.dependencies import authenticate_api, refuse, require_roles
from m365bridge.connector.auth.oauth import endpoints as token_endpoint
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import get_context, get_session
from m365bridge.connector.setup import repository
from m365bridge.connector.setup.gate import Feature, require_setup
from m365bridge.connector.setup.modes import Mode
from m365bridge.connector.setup.service import INBOUND_PATH
from m365bridge.shared.db import transaction
from m365bridge.shared.watched_cache import WatchedCache

router = APIRouter(tags=["inbound (support service)"])
SETUP_TABLE = "x_mioms_m365_assis_setup"
ACCEPTED_METHODS = {Mode.BASIC: ("basic", "bearer"), Mode.AAD: ("oidc",)}

router.add_api_route(f"{INBOUND_PATH}/oauth_token.do", token_endpoint.token, methods=["POST"])


def require_integration_user(request: Request) -> Principal:
    """A dependency for every inbound call: the configured mode's credentials, as the integration user.

    Basic mode: HTTP Basic or a bearer token from ``oauth_token.do``; AAD mode: an Entra JWT accepted by
    an OIDC entity. The allowlist applies (``authenticate_api`` checks it). Refusals go to the system log.
    """
    if not request.headers.get("authorization"):
        refuse(request, 401, "Required to provide Auth information", "inbound call without credentials")
    principal = authenticate_api(request)
    mode, integration_user_id = _inbound_setup(request)
    if mode not in ACCEPTED_METHODS:
        refuse(request, 403, "The app's setup does not accept inbound calls", f"inbound call in mode {mode}")
    if principal.method not in ACCEPTED_METHODS[mode]:
        expected = " or ".join(ACCEPTED_METHODS[mode])
        refuse(
            request,
            401,
            f"This connector is set up for {mode.value} mode and expects {expected} authentication",
            f"inbound call authenticated by {principal.method}, expected {expected}",
            user=principal.user_name,
        )
    if principal.user_id != integration_user_id:
        refuse(
            request,
            403,
            "Only the app's integration user may call this API",
            "caller is not the integration user",
            user=principal.user_name,
        )
    return principal


async def inbound_principal(request: Request) -> Principal:
    """``require_integration_user`` for async endpoints: answered on the event loop when the caller's
    bearer token and the setup are both remembered and pass every check; otherwise (first call, expired
    cache, allowlist on, Basic credentials, any refusal) the full check runs in the thread pool."""
    principal = _remembered_integration_user(request)
    if principal is not None:
        request.state.principal = principal
        return principal
    return await run_in_threadpool(require_integration_user, request)


def _remembered_integration_user(request: Request) -> Principal | None:
    context = get_context(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if context.settings.inbound_allowlist_enabled or scheme.lower() != "bearer" or not token.strip():
        return None
    cache: WatchedCache[tuple[Mode | None, str | None]] | None = context.extras.get("setup.inbound")
    setup = cache.peek(None) if cache is not None else None
    principal = cached_bearer(context, token.strip())
    if setup is None or principal is None:
        return None
    mode, integration_user_id = setup
    accepted = mode is not None and principal.method in ACCEPTED_METHODS.get(mode, ())
    return principal if accepted and principal.user_id == integration_user_id else None


def _inbound_setup(request: Request) -> tuple[Mode | None, str | None]:
    """The setup's mode and integration user: read on every inbound call, so kept for
    ``auth_cache_seconds`` and dropped as soon as this process changes the setup."""
    context = get_context(request)

    def load() -> tuple[tuple[Mode | None, str | None], float | None]:
        with transaction(context.sessions) as session:
            state = repository.find(session)
            mode = Mode(state.mode) if state and state.mode else None
            return (mode, state.integration_user_id if state else None), float("inf")

    ttl = context.settings.auth_cache_seconds
    if ttl <= 0:
        return load()[0]
    cache: WatchedCache[tuple[Mode | None, str | None]] | None = context.extras.get("setup.inbound")
    if cache is None:
        fresh = WatchedCache[tuple[Mode | None, str | None]]([SETUP_TABLE], ttl=ttl)
        cache = context.extras.setdefault("setup.inbound", fresh)
    return cache.get_or_load(None, load)


@router.get(f"{INBOUND_PATH}/probe")
def probe(request: Request, principal: Principal = Depends(require_integration_user)) -> dict[str, Any]:
    """Test connection's inbound check: who called, how, and in which mode."""
    with transaction(get_context(request).sessions) as session:
        state = repository.find(session)
        mode = state.mode if state else None
    return {"result": {"user": principal.user_name, "method": principal.method, "mode": mode}}


@router.get("/api/x_mioms_m365_assis/v1/setup/check")
def check_feature(
    feature: Feature = Query(description="insights, solutions or cases"),
    _principal: Principal = Depends(require_roles()),
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, Any]:
    """Whether ``feature`` may run now; otherwise the original's message #2 or #3 as the error."""
    view = require_setup(session, feature=feature)
    mode = view.mode.value if view.mode else None
    return {"result": {"feature": feature, "mode": mode, "uses_token": view.uses_token}}
