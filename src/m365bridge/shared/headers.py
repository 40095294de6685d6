"""Security headers both sides' apps send: ``nosniff`` on every answer; a strict CSP, no framing and a
same-origin referrer on HTML pages. Pages use only their own stylesheets and scripts (no inline ones)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


HTML_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)
NOSNIFF = (b"x-content-type-options", b"nosniff")


class SecurityHeaders:
    """``nosniff`` on every answer, and CSP, frame and referrer headers on HTML ones (unless already set).

    A plain ASGI middleware rather than ``@app.middleware("http")``: that one runs every request through a
    task group and memory streams, a large share of the cost of a small API call (inbound case events).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                html = any(
                    name.lower() == b"content-type" and value.startswith(b"text/html")
                    for name, value in headers
                )
                extra = (*HTML_HEADERS, NOSNIFF) if html else (NOSNIFF,)
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
