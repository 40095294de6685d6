"""The setup's Service desk step: the built-in desk (the default) or a customer's ServiceNow instance.

The page and the setup file both parse what an admin typed with ``parse_choice`` (every refusal before
anything is stored) and save it with ``save_choice`` in the caller's writer unit. The instance itself is
stored and switched on through ``servicenow.service`` (configure, set_agent_view, use_instance), so the
CLI ``connector servicenow configure`` and this step keep one connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicenow import service as instance
from m365bridge.connector.servicenow.auth import AuthType
from m365bridge.connector.servicenow.connection_test import CheckResult, run_checks
from m365bridge.connector.servicenow.models import AGENT_VIEWS
from m365bridge.shared.errors import UserError

AUTH_LABELS = {
    AuthType.BASIC: "Basic (user name and password)",
    AuthType.PASSWORD: "OAuth password grant (client and account)",
    AuthType.CLIENT_CREDENTIALS: "OAuth client credentials (client only)",
}
VIEW_LABELS = {
    "work_notes": "Work notes on the incident (nothing to install)",
    "tab": "The Microsoft 365 support tab, opened from the incident form (update set)",
    "both": "Both",
}


class DeskKind(StrEnum):
    BUILTIN = "builtin"
    SERVICENOW = "servicenow"


@dataclass(frozen=True)
class DeskChoice:
    kind: DeskKind
    connection: instance.ConnectionSettings | None = None
    agent_view: str = "work_notes"


@dataclass(frozen=True)
class DeskView:
    """What the page shows: never a secret, only whether one is stored."""

    kind: DeskKind
    url: str = ""
    auth_type: str = AuthType.BASIC.value
    user_name: str = ""
    client_id: str = ""
    has_password: bool = False
    has_client_secret: bool = False
    agent_view: str = "work_notes"

    @property
    def label(self) -> str:
        if self.kind is DeskKind.BUILTIN:
            return "Built-in service desk"
        return f"ServiceNow instance {self.url}"


def parse_choice(
    kind: str = "",
    *,
    url: str = "",
    auth_type: str = "",
    user_name: str = "",
    password: str = "",
    client_id: str = "",
    client_secret: str = "",
    agent_view: str = "work_notes",
) -> DeskChoice:
    """A blank password or client secret means "keep the stored one" (``configure`` then insists on one
    being stored); every other value is checked here or by ``configure`` before anything changes."""
    try:
        desk = DeskKind(kind.strip() or DeskKind.BUILTIN.value)
    except ValueError:
        raise UserError(f"Service desk {kind!r} is not one of: builtin, servicenow.") from None
    if desk is DeskKind.BUILTIN:
        return DeskChoice(DeskKind.BUILTIN)
    if not url.strip():
        raise UserError("Enter the instance URL, e.g. https://dev12345.service-now.com.")
    try:
        auth = AuthType(auth_type.strip())
    except ValueError:
        kinds = ", ".join(a.value for a in AuthType)
        raise UserError(f"Auth type {auth_type!r} is not one of: {kinds}.") from None
    if agent_view not in AGENT_VIEWS:
        raise UserError(f"Agent view {agent_view!r} is not one of: {', '.join(AGENT_VIEWS)}.")
    settings = instance.ConnectionSettings(
        url=url.strip(),
        auth_type=auth,
        user_name=user_name,
        password=password or None,
        client_id=client_id,
        client_secret=client_secret or None,
    )
    return DeskChoice(DeskKind.SERVICENOW, settings, agent_view)


def save_choice(session: Session, context: ConnectorContext, choice: DeskChoice) -> str:
    """Store the choice in the caller's writer unit; a refusal leaves it to roll back untouched."""
    if choice.kind is DeskKind.BUILTIN or choice.connection is None:
        instance.use_instance(session, False)
        return "the built-in service desk"
    connection = instance.configure(
        session,
        context.secrets,
        choice.connection,
        allow_loopback_http=context.settings.servicenow_allow_loopback_http,
    )
    instance.set_agent_view(session, choice.agent_view)
    instance.use_instance(session, True)
    return f"ServiceNow instance {connection.url} ({connection.auth_type})"


def current_desk(session: Session) -> DeskView:
    connection = instance.find_connection(session)
    if connection is None:
        return DeskView(DeskKind.BUILTIN)
    return DeskView(
        DeskKind.SERVICENOW if connection.enabled else DeskKind.BUILTIN,
        url=connection.url,
        auth_type=connection.auth_type,
        user_name=connection.user_name,
        client_id=connection.client_id,
        has_password=bool(connection.password),
        has_client_secret=bool(connection.client_secret),
        agent_view=connection.agent_view,
    )


def run_instance_checks(context: ConnectorContext) -> list[CheckResult]:
    """The four read-only checks on the stored instance; call with no transaction open (they go out)."""
    client = instance.open_client(context)
    try:
        return run_checks(context, client)
    finally:
        client.close()
