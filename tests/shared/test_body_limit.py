"""The body cap as plain ASGI: what the wrapped application is handed, and when it is not called at all."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from starlette.responses import JSONResponse

from m365bridge.shared.body_limit import BodyLimitMiddleware


def run(headers: list[tuple[bytes, bytes]], messages: list[dict], max_bytes: int = 10):
    """Send ``messages`` through the middleware; returns (what the app received, the answer's status)."""
    seen: list[dict] = []

    async def app(scope, receive, send):
        while True:
            message = await receive()
            seen.append(message)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        await JSONResponse({"ok": True})(scope, receive, send)

    queue = list(messages)
    sent: list[dict] = []

    async def receive():
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/x", "headers": headers, "query_string": b""}
    middleware = BodyLimitMiddleware(
        app, max_bytes=max_bytes, refusal=lambda _p, n: JSONResponse({"cap": n}, 413)
    )
    # In a thread of its own: Playwright's sync API (the browser tests) keeps an event loop running in the
    # worker's main thread, where asyncio.run() refuses to start another.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, middleware(scope, receive, send)).result()
    return seen, sent[0]["status"]


def chunks(*parts: bytes) -> list[dict]:
    return [
        {"type": "http.request", "body": part, "more_body": index < len(parts) - 1}
        for index, part in enumerate(parts)
    ]


def test_a_declared_length_over_the_cap_never_reaches_the_app():
    seen, status = run([(b"content-length", b"11")], chunks(b"x" * 11))
    assert (seen, status) == ([], 413)


def test_a_chunked_body_is_counted_as_it_arrives():
    seen, status = run([(b"transfer-encoding", b"chunked")], chunks(b"x" * 6, b"x" * 6, b"x" * 100))
    assert (seen, status) == ([], 413)


def test_a_body_within_the_cap_is_handed_on_whole_in_one_message():
    seen, status = run([(b"transfer-encoding", b"chunked")], chunks(b"abc", b"def", b"ghij"))
    assert status == 200
    assert seen == [{"type": "http.request", "body": b"abcdefghij", "more_body": False}]


def test_a_client_leaving_mid_body_is_passed_on_after_what_it_sent():
    seen, _status = run([(b"content-length", b"9")], [chunks(b"abc", b"def")[0], {"type": "http.disconnect"}])
    assert seen[0] == {"type": "http.request", "body": b"abc", "more_body": True}


def test_a_request_without_a_body_passes_straight_through():
    seen, status = run([], chunks(b""))
    assert status == 200 and seen == [{"type": "http.request", "body": b"", "more_body": False}]
