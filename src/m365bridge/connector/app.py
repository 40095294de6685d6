"""The connector's FastAPI application factory: one context, every feature's router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from m365bridge import __version__
from m365bridge.connector.api_errors import body_too_large, install_api_error_handlers
from m365bridge.connector.auth import endpoints as whoami_endpoints
from m365bridge.connector.auth.allowlist import endpoints as allowlist_endpoints
from m365bridge.connector.auth.allowlist import pages as allowlist_pages
from m365bridge.connector.auth.authcode import pages as authcode_pages
from m365bridge.connector.auth.oauth import endpoints as oauth_endpoints
from m365bridge.connector.auth.oauth import pages as oauth_pages
from m365bridge.connector.auth.oidc import endpoints as oidc_endpoints
from m365bridge.connector.auth.oidc import pages as oidc_pages
from m365bridge.connector.auth.servicenow import pages as servicenow_signin_pages
from m365bridge.connector.auth.sessions import pages as sessions_pages
from m365bridge.connector.cases import endpoints as cases_endpoints
from m365bridge.connector.cases import pages as cases_pages
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health import pages as health_pages
from m365bridge.connector.health.background import background_health_sync
from m365bridge.connector.housekeeping.runner import HousekeepingRunner
from m365bridge.connector.incidents import endpoints as incident_endpoints
from m365bridge.connector.incidents import pages as incident_pages
from m365bridge.connector.insights import endpoints as insights_endpoints
from m365bridge.connector.insights import pages as insights_pages
from m365bridge.connector.logs import http_log_pages
from m365bridge.connector.logs import pages as logs_pages
from m365bridge.connector.m365 import pages as m365_pages
from m365bridge.connector.registry import endpoints as registry_endpoints
from m365bridge.connector.registry import pages as registry_pages
from m365bridge.connector.servicenow import endpoints as servicenow_endpoints
from m365bridge.connector.servicenow.runner import InstanceRunner
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.setup import inbound as setup_inbound
from m365bridge.connector.setup import pages as setup_pages
from m365bridge.connector.setup import service_desk_pages
from m365bridge.connector.troubleshooting import pages as troubleshooting_pages
from m365bridge.connector.users import current_user as users_current_user
from m365bridge.connector.users import endpoints as users_endpoints
from m365bridge.connector.users import pages as users_pages
from m365bridge.connector.users import role_table as users_role_table
from m365bridge.connector.web.templating import install_web
from m365bridge.shared.body_limit import BodyLimitMiddleware
from m365bridge.shared.metrics import install_metrics
from m365bridge.shared.web import install_error_handlers, install_health


def create_app(settings: ConnectorSettings | None = None, context: ConnectorContext | None = None) -> FastAPI:
    context = context or ConnectorContext.build(settings or ConnectorSettings())

    runner = background_health_sync(context)
    instance_runner = InstanceRunner(context)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        housekeeping = HousekeepingRunner(context)
        housekeeping.start()
        if context.settings.health_sync_autostart:
            runner.start()
        instance_runner.start()
        yield
        instance_runner.stop()
        runner.stop()
        housekeeping.stop()
        context.close()

    app = FastAPI(title="m365bridge connector", version=__version__, lifespan=lifespan)
    app.state.context = context
    app.state.servicenow_runner = instance_runner  # woken by the instance's push (servicenow/endpoints.py)
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=context.settings.max_request_body_bytes, refusal=body_too_large
    )
    install_error_handlers(app)
    install_api_error_handlers(app)
    install_web(app)
    install_health(app, context.engine)
    token = context.settings.metrics_token
    install_metrics(app, context.metrics, token=token.get_secret_value() if token else None)
    app.include_router(cases_endpoints.inbound_router)  # first: the busiest route
    app.include_router(sessions_pages.router)
    app.include_router(whoami_endpoints.router)
    app.include_router(allowlist_endpoints.router)
    app.include_router(oidc_endpoints.router)
    app.include_router(oauth_endpoints.router)
    app.include_router(users_endpoints.router)
    app.include_router(users_role_table.router)
    app.include_router(users_current_user.router)
    app.include_router(authcode_pages.router)
    app.include_router(servicenow_signin_pages.router)
    app.include_router(logs_pages.router)
    app.include_router(incident_endpoints.router)
    app.include_router(incident_pages.router)
    app.include_router(insights_endpoints.router)
    app.include_router(m365_pages.router)
    app.include_router(insights_pages.router)
    app.include_router(health_pages.router)
    app.include_router(registry_endpoints.router)
    app.include_router(registry_pages.router)
    app.include_router(http_log_pages.router)
    app.include_router(users_pages.router)
    app.include_router(oauth_pages.router)
    app.include_router(oidc_pages.router)
    app.include_router(allowlist_pages.router)
    app.include_router(setup_inbound.router)
    app.include_router(setup_pages.router)
    app.include_router(service_desk_pages.router)
    app.include_router(troubleshooting_pages.router)
    app.include_router(cases_endpoints.router)
    app.include_router(cases_pages.router)
    app.include_router(servicenow_endpoints.router)
    return app
