"""Live checks: the outbound token and the support service, tried now, the way the tab's actions try them.

They run outside any session (the calls wait on other servers) and read the evidence afterwards, so the
outbound HTTP log already holds the doctor's own calls next to the users' earlier ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.http import outbound_client
from m365bridge.connector.logs.models import OutboundHttpRequest
from m365bridge.connector.registry.service import OutboundCredentials, outbound_credentials
from m365bridge.connector.registry.token_client import TokenError, TokenRetriableError, token_client
from m365bridge.connector.setup.checks import GRAPH_RESOURCE, SUPPORT_RESOURCE
from m365bridge.connector.setup.gate import current_setup
from m365bridge.connector.setup.modes import FEATURES, Mode
from m365bridge.connector.support.client import SupportClient, SupportError
from m365bridge.connector.troubleshooting import evidence, repository
from m365bridge.connector.troubleshooting.report import Failure
from m365bridge.connector.users.roles import APP_ADMINISTRATOR
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError

SOLUTIONS_FAILED = "Recommended solutions failed"
NO_SOLUTIONS = "No recommended solutions"


@dataclass(frozen=True)
class Target:
    mode: Mode
    credentials: OutboundCredentials
    support_url: str


def target(context: ConnectorContext) -> Target | str:
    """What to try, or why nothing can be tried (not an error of its own: the gate check says it)."""
    with transaction(context.sessions) as session:
        view = current_setup(session)
        if view is None or view.mode is None:
            return "no setup mode is chosen yet"
        if view.mode is Mode.NONE:
            return "'Continue without any setup' uses no token"
        if not view.outbound_entity_id:
            return "step 1 has no outbound OAuth provider"
        try:
            credentials = outbound_credentials(session, context.secrets, view.outbound_entity_id)
        except UserError as exc:
            return str(exc)
        return Target(view.mode, credentials, view.support_url or context.settings.support_url)


def _network_rows(mode: Mode) -> tuple[int, ...]:
    return (9, 11, 13) if "cases" in FEATURES[mode] else (9, 11)


def connectivity(context: ConnectorContext, where: Target) -> list[Failure]:
    """Rows 9-13: fetch both tokens and ask the support service who we are."""
    tokens = token_client(context)
    token = ""
    for resource in (GRAPH_RESOURCE, SUPPORT_RESOURCE):
        try:
            value = tokens.fetch_uncached(where.credentials, resource)
        except TokenRetriableError as exc:
            return [_failure(context, _network_rows(where.mode), str(exc), where.credentials.token_url)]
        except TokenError as exc:
            return [_failure(context, (10, 12), str(exc), where.credentials.token_url, SOLUTIONS_FAILED)]
        if resource == SUPPORT_RESOURCE:
            token = value
    with outbound_client(context, name="troubleshooting") as http:
        support = SupportClient(http, base_url=where.support_url, access_token=lambda: token)
        try:
            support.integration()
        except SupportError as exc:
            if exc.status_code is None:
                rows = _network_rows(where.mode)
                return [_failure(context, rows, str(exc), where.support_url, NO_SOLUTIONS)]
            return [_failure(context, (10, 12), str(exc), where.support_url, SOLUTIONS_FAILED)]
    return []


def _failure(
    context: ConnectorContext, rows: tuple[int, ...], finding: str, url: str, log_text: str | None = None
) -> Failure:
    with transaction(context.sessions) as session:
        failed = [call for call in _calls_to(session, url) if call.error or (call.status or 0) >= 400]
        shown = evidence.calls(failed)
        if log_text:
            shown += evidence.lines(evidence.log_lines(session, log_text))
    return Failure(rows, f"Live check: {finding}", shown)


def _calls_to(session: Session, url: str) -> list[OutboundHttpRequest]:
    """Calls to the service at ``url`` (the identity host and the support host may be one host)."""
    host = urlsplit(url).hostname or ""
    base = url.rstrip("/").rsplit("/oauth2/", 1)[0]
    return [call for call in evidence.http_calls(session, host=host) if call.url.startswith(base)]


def admin_accounts(context: ConnectorContext, where: Target) -> list[Failure]:
    """Row 8: every administrator's case email (linked account, else the setup's admin email) is a tenant
    admin on the cloud side. Says nothing when the service cannot be asked (the connectivity check does)."""
    if "cases" not in FEATURES[where.mode]:
        return []
    with transaction(context.sessions) as session:
        view = current_setup(session)
        fallback = view.admin_email if view else ""
        who: dict[str, list[str]] = {}
        for user in repository.active_users_with_role(session, APP_ADMINISTRATOR):
            who.setdefault(user.m365_admin_email or fallback, []).append(user.user_name)
        if fallback:
            who.setdefault(fallback, [])
    try:
        token = token_client(context).fetch_uncached(where.credentials, SUPPORT_RESOURCE)
    except TokenError:
        return []
    failures = []
    with outbound_client(context, name="troubleshooting") as http:
        support = SupportClient(http, base_url=where.support_url, access_token=lambda: token)
        for email, names in sorted(who.items()):
            failure = _admin_failure(context, support, email, names)
            if failure:
                failures.append(failure)
    return failures


def _admin_failure(
    context: ConnectorContext, support: SupportClient, email: str, names: list[str]
) -> Failure | None:
    users = f"administrator(s) {', '.join(names)}" if names else "the setup's Microsoft 365 admin email"
    if not email:
        return Failure(
            (8,), f"No Microsoft 365 admin email for {users}: set one in Setup step 5 or link one."
        )
    try:
        if support.tenant_admin(email):
            return None
    except SupportError:
        return None
    with transaction(context.sessions) as session:
        shown = evidence.lines(evidence.log_lines(session, f"{email} is not a valid Microsoft 365 admin"))
        calls = evidence.recent_calls(session)
        shown += evidence.calls(c for c in calls if "/cases" in c.url and c.status == 403)
    return Failure((8,), f"{email}, used by {users}, is not a tenant admin on the cloud side.", shown)
