"""An HTTP reverse proxy that answers some requests itself with 429 or 503, in bursts, instead of forwarding.

Where ``FaultProxy`` breaks the TCP connection, this one breaks the conversation the way an overloaded
service does: the client gets a well-formed refusal (429 with a Retry-After, or 503) and must retry. Serve
the app with ``serving(proxy.app(), tls=tls)`` and give the client the served URL in place of the upstream's;
the original Host header is forwarded, so links the upstream builds from the request (``@odata.nextLink``)
point back at the proxy::

    proxy = RefusingProxy(upstream="https://localhost:1234", verify=ssl_context, plan=BurstPlan(every=4))
    with serving(proxy.app(), tls=tls) as served:
        ...  # the client calls served.url
    proxy.log  # every request seen, in order: (method, path?query, status answered)
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# Hop-by-hop or recomputed headers that must not be copied between the two connections.
SKIPPED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "content-encoding"})


@dataclass
class BurstPlan:
    """Which requests are refused: after every ``every`` forwarded requests, a burst of ``burst`` refusals,
    alternating 429 (with ``Retry-After: retry_after``) and 503 (without one) from burst to burst."""

    every: int = 4
    burst: int = 2
    retry_after: int = 7
    enabled: bool = True


@dataclass(frozen=True)
class Seen:
    method: str
    target: str  # path and query, as the client asked
    status: int  # what the client got: the injected refusal or the upstream's answer


@dataclass
class RefusingProxy:
    upstream: str
    verify: ssl.SSLContext
    plan: BurstPlan = field(default_factory=BurstPlan)
    log: list[Seen] = field(default_factory=list)
    _forwarded_since_burst: int = 0
    _left_in_burst: int = 0
    _bursts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "PATCH"])])

    @property
    def refusals(self) -> list[Seen]:
        return [seen for seen in self.log if seen.status in (429, 503)]

    def _next_refusal(self) -> Response | None:
        """The refusal this request gets under the plan, or None to forward it."""
        with self._lock:
            if not self.plan.enabled:
                return None
            if self._left_in_burst == 0 and self._forwarded_since_burst >= self.plan.every:
                self._left_in_burst, self._forwarded_since_burst = self.plan.burst, 0
                self._bursts += 1
            if self._left_in_burst == 0:
                self._forwarded_since_burst += 1
                return None
            self._left_in_burst -= 1
            if self._bursts % 2:
                return Response(status_code=429, headers={"Retry-After": str(self.plan.retry_after)})
            return Response(status_code=503)

    async def _handle(self, request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = self._next_refusal() or await self._forward(request, target)
        with self._lock:
            self.log.append(Seen(request.method, target, response.status_code))
        return response

    async def _forward(self, request: Request, target: str) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in SKIPPED_HEADERS}
        headers["host"] = request.headers["host"]
        async with httpx.AsyncClient(verify=self.verify, timeout=30) as client:
            answer = await client.request(
                request.method, f"{self.upstream}{target}", headers=headers, content=await request.body()
            )
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in SKIPPED_HEADERS}
        return Response(answer.content, status_code=answer.status_code, headers=kept)
