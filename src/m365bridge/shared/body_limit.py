"""A cap on request bodies, applied before any route reads or parses them.

Without it an anonymous caller could make either side read and parse a body of any size (40 MB was
measured) before authentication refused it. The middleware reads the body itself, counting bytes as they
arrive, so a ``Content-Length`` above the cap and a chunked body that grows past it are both refused with
413 before the application sees a byte; a body within the cap is handed on unchanged. Each side supplies
the refusal in its own error shape.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from m365bridge.shared.numbers import ascii_digits, whole_number

DEFAULT_MAX_BODY_BYTES = 1024 * 1024

# (request path, the cap in bytes) -> the 413 answer in the side's error shape.
Refusal = Callable[[str, int], Response]


def too_large_detail(limit: int) -> str:
    return (
        f"The request body is larger than this server accepts ({limit} bytes); send a smaller body "
        "(an administrator can raise max_request_body_bytes)."
    )


class BodyLimitMiddleware:
    """Pure ASGI middleware: buffers at most ``max_bytes`` of a request body, else answers ``refusal``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, refusal: Refusal) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is None and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # HTTP/1.1: no body at all
            return
        length = (declared or "").strip()
        if ascii_digits(length) and whole_number(length, maximum=self.max_bytes) is None:  # above the cap
            await self._refuse(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                await self.app(scope, _replay(bytes(body), receive, then=message), send)
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.refusal(scope.get("path", ""), self.max_bytes)
        # The rest of the body is never read, so the connection cannot carry another request.
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive, *, then: Message | None = None) -> Receive:
    """A ``receive`` that hands over the body read (as one message), then ``then`` (the client leaving, if
    it left mid-body), then the client's own messages."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": then is not None}]
    if then is not None:
        pending.append(then)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
