"""The one HTTP client of the Microsoft 365 support service's connector-facing API (``/support/v1``).

Every call carries an outbound bearer token for ``api://m365-support``, except the public recommended
solutions search of "Continue without any setup", which goes without one (``access_token=None``).
Failures become a ``SupportRetriableError`` (unreachable, 5xx, 429: try later) or a
``SupportPermanentError`` (the service refused: ``str()`` carries its explanation, which says what to
configure). A refusal's ``code`` is the service's error code when it sent one (``NotTenantAdmin`` when
the admin email opening a case is not a tenant admin). Answers are parsed here into ``support.schemas``;
an answer of the wrong shape is a ``SupportPermanentError`` too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.http import outbound_client, retry_after_seconds
from m365bridge.connector.support.schemas import (
    Case,
    ContactDetails,
    Integration,
    NewCase,
    ProbeOutcome,
    Solutions,
)

ModelT = TypeVar("ModelT", bound=BaseModel)

SUPPORT_RESOURCE = "api://m365-support"


class SupportError(Exception):
    def __init__(self, message: str, *, status_code: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code


class SupportRetriableError(SupportError):
    def __init__(
        self, message: str, *, status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


class SupportPermanentError(SupportError):
    """The support service refused the call; retrying will not help until someone changes a setting."""


class SupportClient:
    def __init__(self, http: httpx.Client, *, base_url: str, access_token: Callable[[], str] | None) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._access_token = access_token

    def close(self) -> None:
        self._http.close()

    def integration(self) -> Integration:
        """This tenant's support integration as the service sees it: application id and repositories."""
        return _parse(Integration, self._request("GET", "/v1/integration"))

    def probe(self, repository_id: str) -> ProbeOutcome:
        """Ask the service to authenticate to the repository's Endpoint and GET its ``/probe``."""
        return _parse(ProbeOutcome, self._request("POST", f"/v1/repositories/{repository_id}/probe"))

    def search_solutions(self, text: str, *, top: int = 10) -> Solutions:
        """Recommended solutions and articles for ``text``, best first."""
        answer = self._request("POST", "/v1/solutions/search", json={"text": text[:4000], "top": top})
        return _parse(Solutions, answer)

    def open_case(self, case: NewCase, *, idempotency_key: str) -> Case:
        """Open a case; the same ``idempotency_key`` again returns the case it opened, never a second."""
        headers = {"Idempotency-Key": idempotency_key}
        body = case.model_dump(by_alias=True)
        return _parse(Case, self._request("POST", "/v1/cases", json=body, headers=headers))

    def add_message(self, case_id: str, *, body: str, author: str, client_message_id: str) -> None:
        """A customer reply; the same ``client_message_id`` again is answered with the first message."""
        message = {"body": body, "author": author, "clientMessageId": client_message_id}
        self._request("POST", f"/v1/cases/{case_id}/messages", json=message)

    def update_contact(self, case_id: str, contact: ContactDetails) -> Case:
        body = contact.model_dump(by_alias=True)
        return _parse(Case, self._request("PATCH", f"/v1/cases/{case_id}/contact", json=body))

    def tenant_admin(self, email: str) -> bool:
        """Whether ``email`` is an active Microsoft 365 admin of the caller's tenant."""
        return bool(self._request("GET", "/v1/tenant-admins", params={"email": email}).get("isTenantAdmin"))

    def _request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        url = f"{self._base}{path}"
        headers = {"Accept": "application/json", **(headers or {})}
        if self._access_token is not None:
            headers["Authorization"] = f"Bearer {self._access_token()}"
        try:
            response = self._http.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise SupportRetriableError(
                f"Cannot reach the Microsoft 365 support service at {self._base} ({type(exc).__name__})."
            ) from None
        if response.is_success:
            body = response.json()
            return dict(body) if isinstance(body, dict) else {"value": body}
        raise _error_for(response)


def _parse(model: type[ModelT], answer: dict[str, Any]) -> ModelT:
    try:
        return model.model_validate(answer)
    except ValidationError as exc:
        where = ", ".join(".".join(str(part) for part in error["loc"]) for error in exc.errors()[:3])
        raise SupportPermanentError(
            f"The support service answered with an unexpected {model.__name__} (check {where})."
        ) from None


def _code(response: httpx.Response) -> str | None:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    code = error.get("code") if isinstance(error, dict) else None
    return str(code) if code else None


def _explanation(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("message") or body.get("error")
        if isinstance(detail, dict):
            detail = detail.get("message")
        if detail:
            return str(detail)
    return str(body)[:300]


def _error_for(response: httpx.Response) -> SupportError:
    status = response.status_code
    message = f"The support service answered HTTP {status}: {_explanation(response)}"
    if status >= 500 or status == 429:
        return SupportRetriableError(message, status_code=status, retry_after=retry_after_seconds(response))
    return SupportPermanentError(message, status_code=status, code=_code(response))


def open_support_client(context: ConnectorContext, *, base_url: str, entity_id: str) -> SupportClient:
    """A client whose tokens come from the outbound OAuth provider ``entity_id`` (close its ``http``)."""
    from m365bridge.connector.registry.token_client import token_client

    return SupportClient(
        outbound_client(context, name="m365_support"),
        base_url=base_url,
        access_token=lambda: token_client(context).get_token(entity_id, SUPPORT_RESOURCE),
    )
