"""ServiceNow-shaped errors for every ``/api/`` and ``/oauth_token.do`` answer.

REST callers (the cloud, PySNC, scripts written for ServiceNow) parse
``{"error": {"message", "detail"}, "status": "failure"}``; the token endpoint answers like ServiceNow's
``oauth_token.do`` (``{"error_description", "error"}``). Pages keep FastAPI's own handling.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.utils import is_body_allowed_for_status_code
from starlette.exceptions import HTTPException as StarletteHTTPException

from m365bridge.shared.body_limit import too_large_detail
from m365bridge.shared.errors import UserError

TOKEN_PATH = "/oauth_token.do"  # noqa: S105 (a path, not a password)
# The same endpoint under the inbound Endpoint (``{Endpoint}/oauth_token.do``), for the support service.
INBOUND_TOKEN_PATH = "/api/x_mioms_m365_assis/inbound" + TOKEN_PATH
TOKEN_PATHS = frozenset({TOKEN_PATH, INBOUND_TOKEN_PATH})

# ServiceNow's messages for the usual statuses; ``detail`` says what exactly went wrong.
MESSAGES = {
    400: "Invalid request",
    401: "User Not Authenticated",
    403: "User Not Authorized",
    404: "No Record found",
    405: "Method not Supported",
    409: "Conflict",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
}


class ApiError(StarletteHTTPException):
    """An API refusal with ServiceNow's ``message`` and a ``detail`` the caller can act on."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status_code, detail=detail, headers=headers)
        self.message = message or MESSAGES.get(status_code, "Error")


def is_api_path(path: str) -> bool:
    return path.startswith("/api/") or path == TOKEN_PATH


def error_body(status_code: int, detail: str, message: str | None = None) -> dict[str, Any]:
    return {
        "error": {"message": message or MESSAGES.get(status_code, "Error"), "detail": detail},
        "status": "failure",
    }


def token_error_body(error: str, description: str) -> dict[str, str]:
    return {"error_description": description, "error": error}


def api_error_response(
    request: Request, status_code: int, detail: str, message: str | None = None, headers: Any = None
) -> Response:
    if not is_body_allowed_for_status_code(status_code):
        return Response(status_code=status_code, headers=headers)
    if request.url.path in TOKEN_PATHS:
        # ServiceNow answers every credential failure with the same opaque pair.
        if status_code == 401:
            body: dict[str, Any] = token_error_body("server_error", "access_denied")
        else:
            kind = "server_error" if status_code in (403, 429) else "invalid_request"
            body = token_error_body(kind, detail)
    else:
        body = error_body(status_code, detail, message)
    return JSONResponse(body, status_code=status_code, headers=headers)


def body_too_large(path: str, limit: int) -> Response:
    """The body cap's 413 (``shared.body_limit``), shaped as every other answer on that path."""
    detail = too_large_detail(limit)
    if path in TOKEN_PATHS:
        return JSONResponse(token_error_body("invalid_request", detail), status_code=413)
    if is_api_path(path):
        return JSONResponse(error_body(413, detail), status_code=413)
    return JSONResponse({"error": {"message": detail}}, status_code=413)


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where or 'request'}: {error.get('msg', 'invalid value')}")
    return "; ".join(parts) or "the request is not valid"


def install_api_error_handlers(app: FastAPI) -> None:
    """Shape API errors; anything else falls through to FastAPI's defaults (pages handle their own)."""
    from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_api_path(request.url.path):
            return await http_exception_handler(request, exc)
        message = exc.message if isinstance(exc, ApiError) else None
        return api_error_response(request, exc.status_code, str(exc.detail), message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if not is_api_path(request.url.path):
            return await request_validation_exception_handler(request, exc)
        return api_error_response(request, 400, _validation_detail(exc))

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> Response:
        if not is_api_path(request.url.path):
            return JSONResponse({"error": {"message": str(exc)}}, status_code=exc.status_code)
        return api_error_response(request, exc.status_code, str(exc))
