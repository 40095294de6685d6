"""``connector setup --config FILE``: the wizard's steps from a TOML or YAML file, same validations.

The file's sections follow the pages (every key optional where the mode does not need it)::

    mode = "basic"                      # or --mode
    [consent]
    agree = true
    allow_oauth_entity_read = true      # the fix for the original's cross-scope refusal
    [outbound]                          # an existing provider ...
    entity = "Azure"
    # ... or a new one: name, client_id, client_secret, token_url
    graph_url = "https://graph.microsoft.com"
    support_url = "https://…/support"
    [inbound]
    oauth_client = "<client id>"        # Basic
    oidc_entity = "<name or client id>" # AAD
    [integration_user]
    user = "m365_integration"           # Basic: the user; AAD: the REST user app's client id
    [repository]
    id = "contoso-servicenow"
    [settings]
    admin_email = "admin@contoso.com"
    sso = false
    test_environment = true
    tenant_domain = "contoso.onmicrosoft.com"
    feedback_prompts = true
    [service_desk]                      # optional; absent: the stored choice stays (built-in by default)
    kind = "servicenow"                 # or "builtin"
    url = "https://dev12345.service-now.com"
    auth_type = "oauth_password"        # basic, oauth_password or oauth_client_credentials
    user_name = "m365.integration"
    password = "…"                      # absent: keep the stored one
    client_id = "…"
    client_secret = "…"                 # absent: keep the stored one
    agent_view = "work_notes"           # work_notes, tab or both
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.setup import service, service_desk
from m365bridge.connector.setup.completion import CompletionValues, completion_values
from m365bridge.connector.setup.connection_test import TestReport, run_connection_test
from m365bridge.connector.setup.modes import STEP_TITLES, Mode, has_inbound
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError


@dataclass(frozen=True)
class StepOutcome:
    step: str
    ok: bool
    message: str


@dataclass(frozen=True)
class SetupOutcome:
    steps: list[StepOutcome]
    report: TestReport | None
    values: CompletionValues

    @property
    def confirmed(self) -> bool:
        return all(s.ok for s in self.steps) and (self.report is None or self.report.passed)


def load_config(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise UserError(
            f"{path} is not valid {'TOML' if path.suffix == '.toml' else 'YAML'}: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise UserError(f"{path} must hold a table of settings (see 'docs/setup.md').")
    return data


def _section(config: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = config.get(name) or {}
    if not isinstance(value, dict):
        raise UserError(f"[{name}] in the setup file must be a table.")
    return value


Step = Callable[[Session], str]


def _steps(context: ConnectorContext, mode: Mode, config: Mapping[str, Any]) -> list[tuple[str, Step]]:
    consent, outbound = _section(config, "consent"), _section(config, "outbound")
    inbound, user = _section(config, "inbound"), _section(config, "integration_user")
    repository, settings = _section(config, "repository"), _section(config, "settings")
    skip = not has_inbound(mode)

    def agree(session: Session) -> str:
        if not consent.get("agree", False):
            raise UserError("Set agree = true under [consent] to accept the app's terms.")
        if consent.get("allow_oauth_entity_read"):
            service.allow_oauth_entity_read(session)
        service.agree(session, context)
        return "agreed"

    def choose_outbound(session: Session) -> str:
        new = None
        if "client_id" in outbound:
            new = service.NewOutbound(
                name=str(outbound.get("name", "Azure")),
                client_id=str(outbound["client_id"]),
                client_secret=str(outbound.get("client_secret", "")),
                token_url=str(outbound.get("token_url", "")),
            )
        name = service.choose_outbound(
            session,
            context,
            entity=outbound.get("entity"),
            new=new,
            graph_url=outbound.get("graph_url"),
            support_url=outbound.get("support_url"),
        )
        return f"OAuth entity '{name}' got a token"

    def choose_inbound(session: Session) -> str:
        return service.choose_inbound(
            session,
            context,
            skip=skip,
            external_oidc=mode is Mode.AAD,
            oauth_client=inbound.get("oauth_client"),
            oidc_entity=inbound.get("oidc_entity"),
        )

    def choose_user(session: Session) -> str:
        return service.choose_integration_user(session, context, skip=skip, user=str(user.get("user", "")))

    def set_repository(session: Session) -> str:
        return service.set_repository(session, str(repository.get("id", "")))

    def save_settings(session: Session) -> str:
        values = service.AppSettings(
            sso=bool(settings.get("sso", False)),
            admin_email=str(settings.get("admin_email", "")),
            test_environment=bool(settings.get("test_environment", True)),
            tenant_domain=str(settings.get("tenant_domain", "")),
            feedback_prompts=bool(settings.get("feedback_prompts", True)),
        )
        service.save_app_settings(session, values)
        return "saved"

    steps = (agree, choose_outbound, choose_inbound, choose_user, set_repository, save_settings)
    return list(zip(STEP_TITLES, steps, strict=False))


DESK_STEP = "Service desk"
DESK_KEYS = frozenset(
    {"kind", "url", "auth_type", "user_name", "password", "client_id", "client_secret", "agent_view"}
)


def run_setup(context: ConnectorContext, mode: Mode, config: Mapping[str, Any]) -> SetupOutcome:
    """Every step in its own transaction (a refused step stops the run and saves nothing of its own)."""
    outcomes: list[StepOutcome] = []
    with transaction(context.sessions, write=True) as session:
        service.start(session, context, mode)
    if mode is not Mode.NONE:
        for title, step in _steps(context, mode, config):
            try:
                with transaction(context.sessions, write=True) as session:
                    outcomes.append(StepOutcome(title, True, step(session)))
            except UserError as exc:
                outcomes.append(StepOutcome(title, False, str(exc)))
                return SetupOutcome(outcomes, None, _values(context))
    if "service_desk" in config:
        desk = _section(config, "service_desk")
        try:
            unknown = sorted(set(desk) - DESK_KEYS)
            if unknown:
                raise UserError(
                    f"[service_desk] has unknown keys {', '.join(unknown)}; "
                    f"known: {', '.join(sorted(DESK_KEYS))}."
                )
            choice = service_desk.parse_choice(**{key: str(value) for key, value in desk.items()})
            with transaction(context.sessions, write=True) as session:
                outcomes.append(
                    StepOutcome(DESK_STEP, True, service_desk.save_choice(session, context, choice))
                )
        except UserError as exc:
            outcomes.append(StepOutcome(DESK_STEP, False, str(exc)))
            return SetupOutcome(outcomes, None, _values(context))
    report = run_connection_test(context)
    if report.passed:
        with transaction(context.sessions, write=True) as session:
            service.finish(session)
    return SetupOutcome(outcomes, report, _values(context))


def _values(context: ConnectorContext) -> CompletionValues:
    with transaction(context.sessions) as session:
        return completion_values(session, context)
