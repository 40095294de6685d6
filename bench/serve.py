"""Serve one app the way the benches compare them: same uvicorn config, one process, plain http on loopback.

    python bench/serve.py bare --port 8601
    python bench/serve.py connector --port 8602 --data-dir demo-data/connector [--ca-bundle ca.pem]

``bare`` is the baseline: a FastAPI app with only the inbound case-events route, parsing the same body with
pydantic and answering the same acknowledgement, with no authentication, database or work. ``connector`` is
the real connector app on an existing data folder. Both run through ``shared.serving.serve_forever``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from m365bridge.shared.serving import serve_forever

EVENTS_PATH = "/api/x_mioms_m365_assis/inbound/v1/events"


class BareEvent(BaseModel):
    id: str
    sequence: int
    type: str
    caseId: str
    caseNumber: str
    incidentSysId: str
    occurredAt: str
    data: dict[str, Any]


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.post(EVENTS_PATH)
    def receive(event: BareEvent) -> dict[str, Any]:
        return {"id": event.id, "applied": True}

    @app.get("/readyz")
    def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", choices=["bare", "connector"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, help="The connector's data folder.")
    parser.add_argument("--ca-bundle", type=Path, help="CA the connector trusts for outbound https.")
    args = parser.parse_args()
    if args.app == "bare":
        app: Any = bare_app()
    else:
        from m365bridge.connector.app import create_app
        from m365bridge.connector.settings import ConnectorSettings

        settings = ConnectorSettings(
            allow_private_endpoints=True, data_dir=args.data_dir, port=args.port, ca_bundle=args.ca_bundle
        )
        app = create_app(settings)
    serve_forever(app, "127.0.0.1", args.port, None)


if __name__ == "__main__":
    main()
