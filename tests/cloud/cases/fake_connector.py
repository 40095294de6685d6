"""A fake connector endpoint and a fake identity token issuer, served through ``httpx.MockTransport``.

The connector side answers like ServiceNow: ``/oauth_token.do`` issues opaque access tokens (1800 s) and
refresh tokens (8,640,000 s by default) with ServiceNow's bodies, refuses bad grants with 401
``{"error": "server_error", "error_description": "access_denied"}``, and ``/v1/events`` wants a live bearer
token. Tests can script answers (503 bursts, 429 with Retry-After), revoke tokens, and move the clock.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx

from m365bridge.shared.orm import utcnow

CONNECTOR = "https://connector.example"
IDENTITY = "https://identity.example"


class FakeClock:
    """Test time for the worker and the fake connector; it starts a minute ahead of the wall clock so
    events written during the test (stamped with real time) are already due."""

    def __init__(self) -> None:
        self.now = utcnow() + dt.timedelta(minutes=1)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@dataclass
class FakeConnector:
    clock: FakeClock | None = None
    client_id: str = "sn-client"
    client_secret: str = "sn-secret"
    username: str = "m365_integration"
    password: str = "rest-password"
    aad_audience: str = "api://contoso-rest-api"
    access_lifespan: int = 1800
    refresh_lifespan: int = 8_640_000
    delay: float = 0.0
    access_tokens: dict[str, dt.datetime] = field(default_factory=dict)
    refresh_tokens: dict[str, dt.datetime] = field(default_factory=dict)
    grants: list[str] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    scripted: deque[httpx.Response] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> dt.datetime:
        return self.clock() if self.clock else utcnow()

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        with self.lock:
            if url.startswith(IDENTITY):
                return self._identity_token(request)
            if request.url.path == "/oauth_token.do":
                return self._token(request)
            if request.url.path == "/v1/events":
                return self._event(request)
            if request.url.path == "/probe":
                return self._probe(request)
        return httpx.Response(404, json={"error": {"message": "not found"}})

    def _issue(self, with_refresh: bool) -> dict:
        access = secrets.token_hex(16)
        self.access_tokens[access] = self.now() + dt.timedelta(seconds=self.access_lifespan)
        body = {"access_token": access, "scope": "useraccount", "token_type": "Bearer", "expires_in": 1799}
        if with_refresh:
            refresh = secrets.token_hex(16)
            self.refresh_tokens[refresh] = self.now() + dt.timedelta(seconds=self.refresh_lifespan)
            body["refresh_token"] = refresh
        return body

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        denied = httpx.Response(401, json={"error": "server_error", "error_description": "access_denied"})
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return denied
        grant = form.get("grant_type")
        self.grants.append(grant or "")
        if grant == "password":
            if (form.get("username"), form.get("password")) != (self.username, self.password):
                return denied
            return httpx.Response(200, json=self._issue(with_refresh=True))
        if grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            expires = self.refresh_tokens.get(refresh)
            if expires is None or expires <= self.now():
                return denied
            body = self._issue(with_refresh=False)
            body["refresh_token"] = refresh
            return httpx.Response(200, json=body)
        return httpx.Response(400, json={"error": "unsupported_grant_type"})

    def _identity_token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        right = (form.get("client_id"), form.get("client_secret"), form.get("resource")) == (
            "rest-user-app",
            "rest-user-secret",
            self.aad_audience,
        )
        if form.get("grant_type") != "client_credentials" or not right:
            return httpx.Response(401, json={"error": "invalid_client", "error_description": "AADSTS7000215"})
        self.grants.append("client_credentials")
        token = "aad." + secrets.token_hex(16)
        self.access_tokens[token] = self.now() + dt.timedelta(seconds=3599)
        return httpx.Response(
            200,
            json={
                "token_type": "Bearer",
                "expires_in": "3599",
                "resource": self.aad_audience,
                "access_token": token,
            },
        )

    def _authorised(self, request: httpx.Request) -> bool:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        expires = self.access_tokens.get(token)
        return expires is not None and expires > self.now()

    def _event(self, request: httpx.Request) -> httpx.Response:
        if not self._authorised(request):
            return httpx.Response(
                401, json={"error": {"message": "User Not Authenticated"}, "status": "failure"}
            )
        if self.scripted:
            return self.scripted.popleft()
        if self.delay:
            time.sleep(self.delay)
        self.received.append(json.loads(request.content))
        return httpx.Response(202, json={"status": "accepted"})

    def _probe(self, request: httpx.Request) -> httpx.Response:
        if not self._authorised(request):
            return httpx.Response(
                401, json={"error": {"message": "User Not Authenticated"}, "status": "failure"}
            )
        return httpx.Response(200, json={"status": "ok"})

    def revoke_access_tokens(self) -> None:
        self.access_tokens.clear()

    def sequences(self) -> dict[str, list[int]]:
        by_case: dict[str, list[int]] = {}
        for event in self.received:
            by_case.setdefault(event["caseId"], []).append(event["sequence"])
        return by_case
