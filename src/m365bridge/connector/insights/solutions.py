"""Recommended solutions and articles from the support service, with the troubleshooting guide's outcomes.

Three outcomes reach the user: the solutions; nothing (rows 9 and 11: a call failed at the network level,
to the identity host or the support host, which the outbound HTTP log shows); or "Please contact app
support." (rows 10 and 12: a service answered with an error, logged here with its status).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
from sqlalchemy.orm import Session

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.http import outbound_client
from m365bridge.connector.logs import system_log
from m365bridge.connector.registry.token_client import (
    TokenPermanentError,
    TokenRetriableError,
    token_client,
)
from m365bridge.connector.setup.gate import SetupView
from m365bridge.connector.support.client import SUPPORT_RESOURCE, SupportClient, SupportError
from m365bridge.shared.errors import UserError

CONTACT_APP_SUPPORT = "Please contact app support."
HTTP_CLIENT = "insights.support_http"
TOP = 10


class ContactAppSupport(UserError):
    """Rows 10 and 12: the support service (or the identity service) answered the call with an error."""

    status_code = 502

    def __init__(self) -> None:
        super().__init__(CONTACT_APP_SUPPORT)


@dataclass
class SolutionsAnswer:
    solutions: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _http(context: ConnectorContext) -> httpx.Client:
    """One pooled client per process: a TLS handshake per search would dominate the tab's latency."""
    existing = context.extras.get(HTTP_CLIENT)
    if isinstance(existing, httpx.Client):
        return existing
    return context.extras.setdefault(HTTP_CLIENT, outbound_client(context, name="m365_support"))


def support_client(context: ConnectorContext, view: SetupView) -> SupportClient:
    """Anonymous in "Continue without any setup" (public articles only); else the outbound app's token."""
    entity_id = view.outbound_entity_id
    access_token: Callable[[], str] | None = None
    if view.uses_token and entity_id:
        tokens = token_client(context)
        access_token = partial(tokens.get_token, entity_id, SUPPORT_RESOURCE)
    base_url = view.support_url or context.settings.support_url
    return SupportClient(_http(context), base_url=base_url, access_token=access_token)


def recommend(context: ConnectorContext, session: Session, view: SetupView, text: str) -> SolutionsAnswer:
    """The support service's recommended solutions for ``text``, or the guide's failure outcome."""
    try:
        found = support_client(context, view).search_solutions(text, top=TOP)
    except TokenRetriableError as exc:
        return _nothing(session, f"No recommended solutions: {exc}")
    except TokenPermanentError as exc:
        _contact_app_support(session, str(exc), None)
    except SupportError as exc:
        if exc.status_code is None:
            return _nothing(session, f"No recommended solutions: {exc}")
        _contact_app_support(session, str(exc), exc.status_code)
    return SolutionsAnswer(solutions=[solution.model_dump() for solution in found.value])


def _nothing(session: Session, why: str) -> SolutionsAnswer:
    # The cause stays in the outbound HTTP log (D2); the UI shows no solutions, the API says why.
    system_log.write(session, "warning", why, context={"feature": "solutions"})
    return SolutionsAnswer(warnings=[why])


def _contact_app_support(session: Session, why: str, status: int | None) -> None:
    with Session(session.get_bind()) as log_session:
        system_log.write(
            log_session,
            "error",
            f"Recommended solutions failed: {why}",
            context={"feature": "solutions", "status": status},
        )
        log_session.commit()
    raise ContactAppSupport()
