"""The Graph sub-application the cloud mounts at ``/graph``: its own routes and Graph-shaped errors."""

from __future__ import annotations

from fastapi import FastAPI

from m365bridge import __version__
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph.endpoints import router
from m365bridge.cloud.graph.errors import install_graph_errors


def create_graph_app(context: CloudContext) -> FastAPI:
    app = FastAPI(title="m365bridge Microsoft Graph (service communications)", version=__version__)
    app.state.context = context  # a mounted app is its own request.app
    app.include_router(router)
    install_graph_errors(app)
    return app
