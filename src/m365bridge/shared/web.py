"""HTTP plumbing shared by both sides: health probes and turning ``UserError`` into a JSON answer."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from m365bridge.shared.db import ping
from m365bridge.shared.errors import UserError


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(UserError)
    async def user_error(_request: Request, exc: UserError) -> JSONResponse:
        return JSONResponse({"error": {"message": str(exc)}}, status_code=exc.status_code)


def install_health(app: FastAPI, engine: Engine) -> None:
    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        try:
            ping(engine)
        except Exception as exc:  # readiness reports any database failure rather than crashing
            return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ready"})
