"""How the connector signs in to an instance: Basic, or an OAuth token from the instance's
``/oauth_token.do`` (password grant with refresh-token rotation, or client credentials).

Secrets live here only in memory; at rest they are encrypted columns (``models.py``). A rotated refresh
token is handed to ``on_tokens`` so that the caller stores it before it is used again: ServiceNow may
revoke the old one once it has issued the new.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from m365bridge.connector.servicenow import errors, responses

logger = logging.getLogger(__name__)
TOKEN_PATH = "/oauth_token.do"  # noqa: S105 (a path, not a password)


class AuthType(StrEnum):
    BASIC = "basic"
    PASSWORD = "oauth_password"  # noqa: S105 (a grant's name)
    CLIENT_CREDENTIALS = "oauth_client_credentials"


@dataclass(frozen=True)
class Credentials:
    """What an admin configured, decrypted for one use. ``repr`` never shows a secret."""

    auth_type: AuthType
    user_name: str = ""
    password: str = field(default="", repr=False)
    client_id: str = ""
    client_secret: str = field(default="", repr=False)


@dataclass(frozen=True)
class Tokens:
    """The instance's tokens and when they end (UTC). ``refresh_token`` is empty for client credentials."""

    access_token: str = field(repr=False)
    access_expires_at: dt.datetime
    refresh_token: str = field(default="", repr=False)
    refresh_expires_at: dt.datetime | None = None

    def access_valid(self, now: dt.datetime, skew: dt.timedelta) -> bool:
        return bool(self.access_token) and now + skew < self.access_expires_at

    def refresh_valid(self, now: dt.datetime) -> bool:
        return bool(self.refresh_token) and (self.refresh_expires_at is None or now < self.refresh_expires_at)


class BasicAuthenticator:
    def __init__(self, credentials: Credentials) -> None:
        pair = f"{credentials.user_name}:{credentials.password}".encode()
        self._header = "Basic " + base64.b64encode(pair).decode()

    def headers(self) -> dict[str, str]:
        return {"Authorization": self._header}

    def renew(self) -> bool:
        return False

    def close(self) -> None:
        """Nothing to release: Basic keeps no connection of its own."""


class OAuthAuthenticator:
    """A bearer token from ``/oauth_token.do``, renewed ``skew`` before it ends; one lock, so that two
    threads never spend the same refresh token (the second would be refused once the first rotated it)."""

    def __init__(
        self,
        http: httpx.Client,
        credentials: Credentials,
        tokens: Tokens | None = None,
        *,
        on_tokens: Callable[[Tokens], None] = lambda tokens: None,
        skew: dt.timedelta = dt.timedelta(seconds=60),
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        if credentials.auth_type is AuthType.BASIC:
            raise ValueError("Basic credentials do not get OAuth tokens")
        self._http = http
        self._credentials = credentials
        self._tokens = tokens
        self._on_tokens = on_tokens
        self._skew = skew
        self._now = now
        self._lock = threading.Lock()

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token()}"}

    def renew(self) -> bool:
        with self._lock:
            if self._tokens is not None:
                self._tokens = Tokens(
                    "", self._now(), self._tokens.refresh_token, self._tokens.refresh_expires_at
                )
        return True

    def close(self) -> None:
        self._http.close()

    def access_token(self) -> str:
        with self._lock:
            now = self._now()
            if self._tokens is None or not self._tokens.access_valid(now, self._skew):
                self._tokens = self._obtain(now)
                self._on_tokens(self._tokens)
            return self._tokens.access_token

    def _obtain(self, now: dt.datetime) -> Tokens:
        credentials = self._credentials
        if credentials.auth_type is AuthType.CLIENT_CREDENTIALS:
            return self._grant({"grant_type": "client_credentials"}, now)
        if self._tokens is not None and self._tokens.refresh_valid(now):
            try:
                return self._grant(
                    {"grant_type": "refresh_token", "refresh_token": self._tokens.refresh_token}, now
                )
            except errors.TokenRefused:
                # Revoked or expired early: the password grant below starts a new token family.
                logger.info("the instance refused the refresh token; signing in with the password grant")
        form = {"grant_type": "password", "username": credentials.user_name, "password": credentials.password}
        return self._grant(form, now)

    def _grant(self, form: dict[str, str], now: dt.datetime) -> Tokens:
        form = {
            **form,
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret,
        }
        grant = form["grant_type"]
        try:
            response = self._http.post(TOKEN_PATH, data=form, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise errors.InstanceUnreachable(
                f"Cannot reach the instance's {TOKEN_PATH}: {exc or type(exc).__name__}.",
                fix="Check the instance URL, DNS and the network path.",
            ) from exc
        body = _json(response)
        if body is None:
            raise errors.NotJson(
                f"The instance answered {TOKEN_PATH} with a web page instead of JSON.",
                fix=responses.HIBERNATING_FIX,
                status=response.status_code,
            )
        if response.status_code >= 500:
            raise errors.InstanceFailed(
                f"{TOKEN_PATH} failed (HTTP {response.status_code}).",
                fix="Try again later.",
                status=response.status_code,
            )
        if response.status_code != 200 or not body.get("access_token"):
            raise errors.TokenRefused(
                f"The instance refused the {grant} grant (HTTP {response.status_code}: "
                f"{_token_error(body)}).",
                fix=_token_fix(self._credentials.auth_type),
                status=response.status_code,
                detail=_token_error(body),
            )
        refresh = str(body.get("refresh_token") or "")
        expires_in = _seconds(body.get("expires_in"), 1800)
        refresh_ends = None
        if refresh and self._tokens is not None and self._tokens.refresh_token == refresh:
            refresh_ends = self._tokens.refresh_expires_at  # not rotated: the old end still holds
        elif refresh and "refresh_token_expires_in" in body:
            refresh_ends = now + dt.timedelta(seconds=_seconds(body["refresh_token_expires_in"], 0))
        return Tokens(
            access_token=str(body["access_token"]),
            access_expires_at=now + dt.timedelta(seconds=expires_in),
            refresh_token=refresh,
            refresh_expires_at=refresh_ends,
        )


def _json(response: httpx.Response) -> dict[str, Any] | None:
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _seconds(raw: Any, default: int) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


def _token_error(body: dict[str, Any]) -> str:
    """``oauth_token.do`` answers ``{"error", "error_description"}``; no credential is ever in it."""
    parts = [str(body.get(key)) for key in ("error", "error_description") if body.get(key)]
    return " / ".join(parts) or "no reason given"


def _token_fix(auth_type: AuthType) -> str:
    if auth_type is AuthType.CLIENT_CREDENTIALS:
        return (
            "Check the OAuth client id and secret, and that the instance offers the client credentials grant "
            "for this application registry (Washington DC or later, with a user set on the registry)."
        )
    return (
        "Check the OAuth client id and secret (System OAuth > Application Registry) and the integration "
        "account's user name and password; the account must be active and not locked."
    )
