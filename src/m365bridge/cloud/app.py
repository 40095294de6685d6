"""The cloud's FastAPI application factory: one context, every feature's router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from m365bridge import __version__
from m365bridge.cloud.cases.delivery import start_background
from m365bridge.cloud.cases.endpoints import router as cases_api
from m365bridge.cloud.console.pages import router as console_pages
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.directory.pages import router as directory_pages
from m365bridge.cloud.graph import admin_endpoints as graph_admin
from m365bridge.cloud.graph.application import create_graph_app
from m365bridge.cloud.identity import keys
from m365bridge.cloud.identity.admin import router as identity_admin_router
from m365bridge.cloud.identity.endpoints import router as identity_router
from m365bridge.cloud.integration.connector_endpoints import router as integration_connector_api
from m365bridge.cloud.integration.endpoints import router as integration_api
from m365bridge.cloud.integration.pages import router as integration_pages
from m365bridge.cloud.knowledge.endpoints import router as knowledge_router
from m365bridge.cloud.settings import CloudSettings
from m365bridge.cloud.web.templating import mount_static
from m365bridge.shared.body_limit import BodyLimitMiddleware, too_large_detail
from m365bridge.shared.db import transaction
from m365bridge.shared.headers import SecurityHeaders
from m365bridge.shared.metrics import install_metrics
from m365bridge.shared.web import install_error_handlers, install_health


def create_app(settings: CloudSettings | None = None, context: CloudContext | None = None) -> FastAPI:
    context = context or CloudContext.build(settings or CloudSettings())
    # The signing key exists before the first request: made lazily, two concurrent first requests (a token
    # and a JWKS fetch) would both try to create it, and SQLite refuses one of the two write upgrades.
    with transaction(context.sessions, write=True) as session:
        keys.ensure_active_key(session, context.secrets)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker = start_background(context) if context.settings.outbox_worker else None
        yield
        if worker:
            thread, stop = worker
            stop.set()
            thread.join(timeout=10)
        context.close()

    app = FastAPI(title="m365bridge cloud", version=__version__, lifespan=lifespan)
    app.state.context = context
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=context.settings.max_request_body_bytes, refusal=body_too_large
    )
    install_error_handlers(app)
    install_health(app, context.engine)
    mount_static(app)
    app.include_router(directory_pages)
    app.include_router(integration_api)
    app.include_router(integration_pages)
    app.include_router(integration_connector_api)
    app.include_router(cases_api)
    app.include_router(console_pages)
    token = context.settings.metrics_token
    install_metrics(app, context.metrics, token=token.get_secret_value() if token else None)
    app.include_router(graph_admin.router)
    app.mount("/graph", create_graph_app(context))
    app.include_router(knowledge_router)
    app.include_router(identity_router)
    app.include_router(identity_admin_router)
    app.add_middleware(SecurityHeaders)
    return app


def body_too_large(path: str, limit: int) -> JSONResponse:
    """The body cap's 413 in the shape the path's clients parse: Entra's token errors, Graph's, or ours."""
    detail = too_large_detail(limit)
    if "/oauth2/" in path:
        return JSONResponse({"error": "invalid_request", "error_description": detail}, status_code=413)
    if path.startswith("/graph/"):
        return JSONResponse({"error": {"code": "RequestEntityTooLarge", "message": detail}}, status_code=413)
    return JSONResponse({"error": {"message": detail}}, status_code=413)
