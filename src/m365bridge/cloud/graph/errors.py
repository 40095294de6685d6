"""Graph's error answers: ``{"error": {"code", "message", "innerError": {date, request-id, ...}}}``.

Every failure under ``/graph`` is answered in this shape, including bad query options and unknown routes,
so Graph clients (and the connector) parse one error format.
"""

from __future__ import annotations

import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from m365bridge.cloud.graph.resources import format_datetime
from m365bridge.shared.errors import UserError
from m365bridge.shared.orm import utcnow

CODES = {400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "Forbidden", 404: "NotFound"}
CODES.update({405: "MethodNotAllowed", 409: "Conflict", 429: "TooManyRequests"})


class GraphError(Exception):
    def __init__(
        self, status_code: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = headers or {}


def request_ids(request: Request) -> tuple[str, str]:
    """This request's id and the client's (echoed if it sent one), as Graph's headers carry them."""
    request_id = getattr(request.state, "graph_request_id", None) or str(uuid.uuid4())
    request.state.graph_request_id = request_id
    return request_id, request.headers.get("client-request-id") or request_id


def error_response(
    request: Request, status_code: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    request_id, client_request_id = request_ids(request)
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": format_datetime(utcnow().replace(microsecond=0)),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }
    all_headers = {"request-id": request_id, "client-request-id": client_request_id, **(headers or {})}
    return JSONResponse(body, status_code=status_code, headers=all_headers)


def install_graph_errors(app: FastAPI) -> None:
    @app.exception_handler(GraphError)
    async def graph_error(request: Request, exc: GraphError) -> JSONResponse:
        return error_response(request, exc.status_code, exc.code, exc.message, exc.headers)

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> JSONResponse:
        code = CODES.get(exc.status_code, "BadRequest")
        return error_response(request, exc.status_code, code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(str(error.get("msg")) for error in exc.errors())
        return error_response(request, 400, "BadRequest", f"Invalid request: {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = CODES.get(exc.status_code, "UnknownError")
        message = "Resource not found for the segment." if exc.status_code == 404 else str(exc.detail)
        return error_response(request, exc.status_code, code, message)
