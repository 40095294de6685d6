"""The cloud's FastAPI application factory: one context, every feature's router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from m365bridge import __version__
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph import admin_endpoints as graph_admin
from m365bridge.cloud.graph.application import create_graph_app
from m365bridge.cloud.identity.admin import router as identity_admin_router
from m365bridge.cloud.identity.endpoints import router as identity_router
from m365bridge.cloud.knowledge.endpoints import router as knowledge_router
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.metrics import install_metrics
from m365bridge.shared.web import install_error_handlers, install_health


def create_app(settings: CloudSettings | None = None, context: CloudContext | None = None) -> FastAPI:
    context = context or CloudContext.build(settings or CloudSettings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        context.close()

    app = FastAPI(title="m365bridge cloud", version=__version__, lifespan=lifespan)
    app.state.context = context
    install_error_handlers(app)
    install_health(app, context.engine)
    token = context.settings.metrics_token
    install_metrics(app, context.metrics, token=token.get_secret_value() if token else None)
    app.include_router(graph_admin.router)
    app.mount("/graph", create_graph_app(context))
    app.include_router(knowledge_router)
    app.include_router(identity_router)
    app.include_router(identity_admin_router)
    return app
