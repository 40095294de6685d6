"""Test connection (v2): live checks that each pass or say exactly what to fix, on which side.

Runs outside any request session (it waits on the cloud, which calls the connector back during the probe)
and records the outcome in a transaction of its own: passing every check is what lets Next confirm setup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.client import GraphClient, GraphError
from m365bridge.connector.http import outbound_client
from m365bridge.connector.logs import system_log
from m365bridge.connector.registry.service import OutboundCredentials, outbound_credentials
from m365bridge.connector.setup import checks, repository
from m365bridge.connector.setup.completion import CompletionValues, completion_values
from m365bridge.connector.setup.modes import Mode, has_inbound
from m365bridge.connector.support.client import SupportClient, SupportError
from m365bridge.connector.support.schemas import Integration
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError
from m365bridge.shared.orm import utcnow

# What the connector's own refusal (system log) means for the admin configuring the cloud side.
REFUSAL_HINTS = {
    "password grant: bad credentials": "the Rest user password on the cloud side is not the integration "
    "user's password; set the same password in both places",
    "token password grant": "the Client ID / Client secret on the cloud side do not match the connector's "
    "OAuth client; copy them again",
    "wrong audience": "the token's audience is not the OIDC entity's client id; the repository's token "
    "audience (cloud) and the OIDC entity's client id (connector) must both be the REST API app",
    "maps to no active user": "no active user has the calling app's id as User ID; step 3 must name the "
    "REST user app's client id",
    "not the integration user": "the cloud logs in as another user than step 3's integration user",
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str


@dataclass
class TestReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


@dataclass(frozen=True)
class _Snapshot:
    mode: Mode
    values: CompletionValues
    credentials: OutboundCredentials | None
    graph_url: str
    support_url: str


def _snapshot(context: ConnectorContext) -> _Snapshot:
    with transaction(context.sessions) as session:
        state = repository.find(session)
        if state is None or state.mode is None:
            raise UserError("Choose a setup mode and finish the steps before testing the connection.")
        credentials = None
        if state.outbound_entity_id:
            credentials = outbound_credentials(session, context.secrets, state.outbound_entity_id)
        return _Snapshot(
            Mode(state.mode),
            completion_values(session, context),
            credentials,
            state.graph_url or context.settings.graph_url,
            state.support_url or context.settings.support_url,
        )


def run_connection_test(context: ConnectorContext) -> TestReport:
    """Run every check for the stored setup's mode and remember whether all passed."""
    snapshot = _snapshot(context)
    report = TestReport()
    if snapshot.mode is Mode.NONE:
        report.checks.append(
            Check("Setup", True, "Continue without any setup: the public search needs no test.")
        )
    elif snapshot.credentials is None:
        report.checks.append(
            Check("Outbound OAuth provider", False, "Step 1 has no OAuth provider; choose one.")
        )
    else:
        _run(context, snapshot, snapshot.credentials, report)
    with transaction(context.sessions, write=True) as session:
        state = repository.get_or_create(session)
        state.test_passed = report.passed
        if not report.passed:
            state.confirmed = False
    return report


def _run(
    context: ConnectorContext, snapshot: _Snapshot, credentials: OutboundCredentials, report: TestReport
) -> None:
    def attempt(name: str, action: Callable[[], str]) -> bool:
        try:
            report.checks.append(Check(name, True, action()))
            return True
        except (UserError, GraphError, SupportError) as exc:
            report.checks.append(Check(name, False, str(exc)))
            return False

    # The token checks fetch fresh tokens (of the stored provider); the calls after them, here and after
    # setup, use those instead of asking again.
    tokens: dict[str, str] = {}
    graph_ok = attempt(
        "Outbound token (Microsoft Graph)",
        lambda: _token(context, credentials, checks.GRAPH_RESOURCE, tokens),
    )
    support_ok = attempt(
        "Outbound token (Microsoft 365 support)",
        lambda: _token(context, credentials, checks.SUPPORT_RESOURCE, tokens),
    )
    if graph_ok:
        attempt(
            "Microsoft Graph service health",
            lambda: _graph(context, snapshot, tokens[checks.GRAPH_RESOURCE]),
        )
    if not support_ok:
        return
    with outbound_client(context, name="m365_support") as http:
        support = SupportClient(
            http, base_url=snapshot.support_url, access_token=lambda: tokens[checks.SUPPORT_RESOURCE]
        )
        integration: list[Integration] = []
        if not attempt("Support integration", lambda: _integration(support, snapshot, integration)):
            return
        if not attempt("Repository", lambda: _repository(snapshot, integration[0])):
            return
        if has_inbound(snapshot.mode):
            attempt("Inbound call (probe)", lambda: _probe(context, support, snapshot))


def _token(
    context: ConnectorContext, credentials: OutboundCredentials, resource: str, tokens: dict[str, str]
) -> str:
    tokens[resource] = checks.outbound_token(context, credentials, resource, remember=True)
    return f"OAuth entity '{credentials.entity_name}' got a token for {resource}."


def _graph(context: ConnectorContext, snapshot: _Snapshot, token: str) -> str:
    with outbound_client(context, name="service_health") as http:
        graph = GraphClient(http, base_url=snapshot.graph_url, access_token=lambda: token, max_attempts=1)
        services = graph.health_overviews()
    return f"Microsoft Graph answered with the health of {len(services)} services."


def _integration(support: SupportClient, snapshot: _Snapshot, out: list[Integration]) -> str:
    try:
        out.append(support.integration())
    except SupportError as exc:
        if exc.status_code == 403:
            raise UserError(
                f"The support service does not accept this connector's outbound app "
                f"{snapshot.values.application_id}: {exc} In the admin center (Settings > Org settings > "
                "Organization profiles > Support integration) enter it as 'Application ID to issue Auth "
                "Token'."
            ) from None
        raise
    return f"The support service knows app {out[0].application_id} for tenant {out[0].tenant_id}."


def _repository(snapshot: _Snapshot, integration: Integration) -> str:
    wanted = snapshot.values.repository_id
    found = integration.repository(wanted)
    where = "the admin center's Support integration page (Repositories)"
    if found is None:
        raise UserError(f"Repository '{wanted}' is not registered on the support service; add it in {where}.")
    if snapshot.mode is Mode.INSIGHTS:
        return f"Repository '{wanted}' is registered (Insights only: nothing calls the connector)."
    ours, theirs = snapshot.values.endpoint, found.endpoint.rstrip("/")
    if theirs != ours:
        raise UserError(
            f"Repository '{wanted}' has Endpoint {theirs}, which is not this connector; set it to {ours} "
            f"in {where}."
        )
    expected_type = "Basic Auth" if snapshot.mode is Mode.BASIC else "AAD Auth"
    if found.authentication_type != expected_type:
        raise UserError(f"Repository '{wanted}' uses {found.authentication_type}; choose {expected_type}.")
    if snapshot.mode is Mode.AAD:
        audience = found.token_audience or found.client_id
        if audience != snapshot.values.client_id:
            raise UserError(
                f"Repository '{wanted}' asks for tokens for audience {audience!r}, but the OIDC entity "
                f"accepts {snapshot.values.client_id!r}; both must be the REST API app (set the "
                "repository's token audience, or the OIDC entity's client id)."
            )
    return f"Repository '{wanted}' points at this connector's Endpoint with {expected_type}."


def _probe(context: ConnectorContext, support: SupportClient, snapshot: _Snapshot) -> str:
    started = utcnow() - dt.timedelta(seconds=1)
    outcome = support.probe(snapshot.values.repository_id)
    if outcome.ok:
        return f"The support service called {snapshot.values.endpoint}/probe and was accepted."
    reason = _refusal_since(context, started)
    hint = next((text for key, text in REFUSAL_HINTS.items() if reason and key in reason), None)
    detail = (
        f" The connector refused it ({reason}): {hint}."
        if reason and hint
        else (f" The connector refused it: {reason}." if reason else "")
    )
    raise UserError(f"The support service could not call this connector: {outcome.message}{detail}")


def _refusal_since(context: ConnectorContext, since: dt.datetime) -> str | None:
    with transaction(context.sessions) as session:
        lines = system_log.search(session, since=since, text="Inbound request refused", limit=5)
        return lines[0].message.removeprefix("Inbound request refused: ") if lines else None
