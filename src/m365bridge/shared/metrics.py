"""Prometheus metrics for one running side: request counts and latencies, plus what features register.

Each context owns a ``Metrics`` with its own ``CollectorRegistry`` (tests build many apps in one process,
and the global registry would refuse the second app's metrics). Features register their own::

    depth = context.metrics.gauge("outbox_depth", "Messages waiting to be sent.")
    depth.set(12)
    context.metrics.gauge("dead_letters", "Messages given up on.", function=lambda: count_dead(context))
    hits = context.metrics.counter("token_cache_hits", "Tokens served from the cache.", labels=("provider",))
    hits.labels(provider="contoso").inc()

``/metrics`` is not for the public: it answers a bearer token when the side's ``metrics_token`` is set,
and otherwise loopback clients only (a scraper on the same host, or through an SSH tunnel).
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics import MetricWrapperBase
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Requests that matched no route share one label, so scanners cannot grow the series without bound.
UNMATCHED_ROUTE = "<unmatched>"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

M = TypeVar("M", bound=MetricWrapperBase)


class Metrics:
    """The metrics of one side; names get the side's prefix (``m365bridge_cloud_…``)."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.registry = CollectorRegistry()
        self._metrics: dict[str, MetricWrapperBase] = {}
        self.requests = self.counter(
            "http_requests",
            "HTTP requests answered, by route template and status.",
            ("method", "route", "status"),
        )
        self.latency = self.histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
        )

    def counter(self, name: str, help: str, labels: Sequence[str] = ()) -> Counter:
        return self._register(
            name, lambda: Counter(name, help, labels, namespace=self.namespace, registry=self.registry)
        )

    def gauge(
        self, name: str, help: str, labels: Sequence[str] = (), *, function: Callable[[], float] | None = None
    ) -> Gauge:
        """A gauge; with ``function`` (and no labels) its value is computed at each scrape."""

        def make() -> Gauge:
            gauge = Gauge(name, help, labels, namespace=self.namespace, registry=self.registry)
            if function is not None:
                gauge.set_function(function)
            return gauge

        return self._register(name, make)

    def histogram(
        self, name: str, help: str, labels: Sequence[str] = (), *, buckets: Sequence[float] = LATENCY_BUCKETS
    ) -> Histogram:
        return self._register(
            name,
            lambda: Histogram(
                name, help, labels, namespace=self.namespace, registry=self.registry, buckets=buckets
            ),
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def _register(self, name: str, make: Callable[[], M]) -> M:
        """Registering a name twice returns the first metric, so a feature may register on every start."""
        existing = self._metrics.get(name)
        if existing is None:
            existing = self._metrics[name] = make()
        return cast(M, existing)


class RequestMetricsMiddleware:
    """Counts and times every HTTP request by its route template (``/items/{id}``, not ``/items/7``)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = _route_template(scope)
            method = scope["method"]
            self.metrics.requests.labels(method=method, route=route, status=str(status)).inc()
            self.metrics.latency.labels(method=method, route=route).observe(time.perf_counter() - started)


def _route_template(scope: Scope) -> str:
    """The matched route's template, prefixed inside a mounted app (``/graph``) with the mount's path."""
    template = getattr(scope.get("route"), "path", None)
    prefix = scope.get("root_path", "")
    if template is None:
        return f"{prefix}/{UNMATCHED_ROUTE}" if prefix else UNMATCHED_ROUTE
    return f"{prefix}{template}"


def install_metrics(app: FastAPI, metrics: Metrics, *, token: str | None) -> None:
    """Count every request and serve ``/metrics`` (bearer ``token`` when set, else loopback clients only)."""
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint(request: Request) -> Response:
        if not _may_scrape(request, token):
            return Response(
                "metrics are for loopback clients or a bearer token (setting metrics_token)\n",
                status_code=403,
                media_type="text/plain",
            )
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)


def _may_scrape(request: Request, token: str | None) -> bool:
    if token:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(presented.encode(), token.encode())
    return _is_loopback(request.client.host if request.client else None)


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
