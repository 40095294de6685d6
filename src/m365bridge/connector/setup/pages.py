"""Microsoft 365 support > Setup: the wizard pages (admin only), over the same service as the CLI.

Steps that call other servers run before the request's session is first used, so no SQLite transaction
stays open while the connector waits (the cloud calls the connector back during Test connection).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import require_ui_user
from m365bridge.connector.auth.oauth import service as oauth_service
from m365bridge.connector.auth.oidc import service as oidc_service
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import ConnectorContext, get_context, get_session
from m365bridge.connector.registry import service as registry
from m365bridge.connector.setup import repository, service, service_desk
from m365bridge.connector.setup.completion import completion_values
from m365bridge.connector.setup.connection_test import TestReport, run_connection_test
from m365bridge.connector.setup.modes import LABELS, LAST_STEP, STEP_TITLES, Mode, derive_mode, skippable
from m365bridge.connector.users import repository as users
from m365bridge.connector.users.roles import ADMIN
from m365bridge.connector.web.templating import redirect, render
from m365bridge.shared.errors import UserError

router = APIRouter(include_in_schema=False)
admin_page = require_ui_user(ADMIN)
SETUP = "/m365/setup"


def _page(
    request: Request,
    session: Session,
    context: ConnectorContext,
    *,
    step: int | None = None,
    error: str | None = None,
    report: TestReport | None = None,
) -> Response:
    state = repository.find(session)
    mode = Mode(state.mode) if state and state.mode else None
    current = min(state.next_step, LAST_STEP) if state else 0
    if step is not None and state and 0 <= step <= state.next_step:
        current = min(step, LAST_STEP)
    return render(
        request,
        "setup/wizard.html",
        status_code=400 if error else 200,
        title="Setup",
        state=state,
        mode=mode.value if mode else None,
        mode_label=LABELS[mode] if mode else "",
        step=current,
        titles=STEP_TITLES,
        skippable=bool(mode and skippable(mode, current)),
        entities=registry.list_entities(session),
        oauth_clients=oauth_service.list_clients(session),
        oidc_entities=oidc_service.entities(session),
        users=[u for u in users.list_users(session) if u.web_service_access_only],
        values=completion_values(session, context),
        report=report,
        desk=service_desk.current_desk(session),
        error=error,
    )


@router.get(SETUP)
def setup_page(
    request: Request,
    step: int | None = None,
    _user: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
    context: ConnectorContext = Depends(get_context),
) -> Response:
    return _page(request, session, context, step=step)


@router.post(f"{SETUP}/mode")
def choose_mode(
    request: Request,
    basic_auth_allowed: str = Form(""),
    single_tenant: str = Form(""),
    without_setup: str = Form(""),
    _user: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
    context: ConnectorContext = Depends(get_context),
) -> Response:
    if without_setup == "yes":
        mode = Mode.NONE
    elif basic_auth_allowed in ("yes", "no") and single_tenant in ("yes", "no"):
        mode = derive_mode(basic_auth_allowed == "yes", single_tenant == "yes")
    else:
        return _page(request, session, context, error="Answer both questions, or continue without setup.")
    service.start(session, context, mode)
    return redirect(SETUP, flash=f"Mode: {LABELS[mode]}")


@router.post(f"{SETUP}/reset")
def reset(
    _user: Principal = Depends(admin_page), session: Session = Depends(get_session, scope="function")
) -> Response:
    service.change_mode(session)
    return redirect(SETUP)


@router.post(f"{SETUP}/allow-oauth-entity-read")
def allow_read(
    _user: Principal = Depends(admin_page), session: Session = Depends(get_session, scope="function")
) -> Response:
    service.allow_oauth_entity_read(session)
    return redirect(f"{SETUP}?step=0", flash="The app may now read OAuth entities; agree again.")


@router.post(f"{SETUP}/step/{{step}}")
def save_step(
    request: Request,
    step: int,
    skip: str = Form(""),
    entity: str = Form(""),
    new_name: str = Form(""),
    new_client_id: str = Form(""),
    new_client_secret: str = Form(""),
    new_token_url: str = Form(""),
    graph_url: str = Form(""),
    support_url: str = Form(""),
    external_oidc: str = Form(""),
    oauth_client: str = Form(""),
    oidc_entity: str = Form(""),
    user: str = Form(""),
    repository_id: str = Form(""),
    sso: str = Form(""),
    admin_email: str = Form(""),
    test_environment: str = Form(""),
    tenant_domain: str = Form(""),
    feedback_prompts: str = Form(""),
    _user: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
    context: ConnectorContext = Depends(get_context),
) -> Response:
    try:
        if step == 0:
            service.agree(session, context)
        elif step == 1:
            new = None
            if new_client_id.strip():
                new = service.NewOutbound(new_name, new_client_id, new_client_secret, new_token_url)
            service.choose_outbound(
                session,
                context,
                entity=entity or None,
                new=new,
                graph_url=graph_url or None,
                support_url=support_url or None,
            )
        elif step == 2:
            service.choose_inbound(
                session,
                context,
                skip=skip == "yes",
                external_oidc=external_oidc == "yes",
                oauth_client=oauth_client,
                oidc_entity=oidc_entity,
            )
        elif step == 3:
            service.choose_integration_user(session, context, skip=skip == "yes", user=user)
        elif step == 4:
            service.set_repository(session, repository_id)
        elif step == 5:
            values = service.AppSettings(
                sso == "yes", admin_email, test_environment == "yes", tenant_domain, feedback_prompts == "yes"
            )
            service.save_app_settings(session, values)
        else:
            raise UserError(f"There is no step {step} to save.")
    except UserError as exc:
        session.rollback()
        return _page(request, session, context, step=step, error=str(exc))
    return redirect(f"{SETUP}?step={step + 1}", flash=f"Saved: {STEP_TITLES[min(step, LAST_STEP)]}")


@router.post(f"{SETUP}/test")
def test_connection(
    request: Request,
    _user: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
    context: ConnectorContext = Depends(get_context),
) -> Response:
    try:
        report = run_connection_test(context)
    except UserError as exc:
        return _page(request, session, context, error=str(exc))
    return _page(request, session, context, step=LAST_STEP, report=report)


@router.post(f"{SETUP}/finish")
def finish(
    request: Request,
    _user: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
    context: ConnectorContext = Depends(get_context),
) -> Response:
    try:
        service.finish(session)
    except UserError as exc:
        session.rollback()
        return _page(request, session, context, step=LAST_STEP, error=str(exc))
    return redirect(SETUP, flash="Setup is complete.")
