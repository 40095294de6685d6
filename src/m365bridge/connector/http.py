"""The one way the connector builds an outbound HTTP client: trusted CAs, timeouts and the outbound log.

Every request is logged by a transport wrapper rather than ``event_hooks``: response hooks never run when
the connection fails, and a failed connection (DNS, TLS, refused) is exactly what the troubleshooting
guide's "look at the outbound HTTP log" needs to show.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import ssl
import time
from typing import Any

import httpx
from sqlalchemy.exc import SQLAlchemyError

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.logs import http_log
from m365bridge.shared.db import transaction
from m365bridge.shared.numbers import ascii_digits, whole_number
from m365bridge.shared.outbound import PinnedTransport

logger = logging.getLogger(__name__)
# A day: longer than any caller waits (they cap far below it).
MAX_RETRY_AFTER_SECONDS = 86_400


class LoggingTransport(httpx.BaseTransport):
    """Wraps a transport and writes one outbound-log row per request, in its own short transaction."""

    def __init__(self, inner: httpx.BaseTransport, context: ConnectorContext, source: str) -> None:
        self._inner = inner
        self._context = context
        self._source = source

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = self._inner.handle_request(request)
        except httpx.HTTPError as exc:
            self._write(request, None, started, f"{type(exc).__name__}: {exc}")
            raise
        self._write(request, response.status_code, started, None)
        return response

    def _write(self, request: httpx.Request, status: int | None, started: float, error: str | None) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000)
        try:
            with transaction(self._context.sessions, write=True) as session:
                http_log.record(
                    session,
                    source=self._source,
                    method=request.method,
                    url=str(request.url),
                    status=status,
                    duration_ms=duration_ms,
                    error=error,
                )
        except SQLAlchemyError:
            # A full or locked log must not fail the call it describes; say so in the process log instead.
            logger.exception("could not log outbound %s %s", request.method, request.url.host)

    def close(self) -> None:
        self._inner.close()


def tls_context(context: ConnectorContext) -> ssl.SSLContext:
    bundle = context.settings.ca_bundle
    return ssl.create_default_context(cafile=str(bundle)) if bundle else ssl.create_default_context()


def outbound_client_options(context: ConnectorContext, *, name: str) -> dict[str, Any]:
    """Keyword arguments for any ``httpx.Client`` subclass (Authlib's OAuth2Client takes the same ones)."""
    # Every URL the connector calls was entered by an admin (token, Graph, support URLs): connections go
    # only to public addresses over https, pinned, unless the development setting allows private ones.
    transport = PinnedTransport(context.settings.outbound_policy, verify=tls_context(context))
    return {
        "transport": LoggingTransport(transport, context, name),
        "timeout": httpx.Timeout(context.settings.outbound_timeout_seconds),
        "follow_redirects": False,
    }


def outbound_client(context: ConnectorContext, *, name: str, base_url: str = "") -> httpx.Client:
    """An httpx client for one outbound feature; ``name`` is the log's source (e.g. "service_health")."""
    return httpx.Client(base_url=base_url, **outbound_client_options(context, name=name))


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The response's Retry-After in seconds (delta-seconds or an HTTP date), or None when absent or bad."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    text = value.strip()
    if ascii_digits(text):
        # Beyond a day every caller gives up anyway; a longer value is read as a day, never parsed whole.
        seconds = whole_number(text, maximum=MAX_RETRY_AFTER_SECONDS)
        return float(MAX_RETRY_AFTER_SECONDS if seconds is None else seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
