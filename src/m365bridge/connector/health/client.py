"""Microsoft Graph v1.0 service communications: the one place that knows its URLs, paging and throttling."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from m365bridge.connector.health.budget import RequestBudget
from m365bridge.connector.http import retry_after_seconds

GRAPH_RESOURCE = "https://graph.microsoft.com"
ANNOUNCEMENTS = "/v1.0/admin/serviceAnnouncement"
Page = list[dict[str, Any]]


class GraphError(Exception):
    """A Graph call failed; ``str()`` says what happened and, for permanent errors, what to fix."""


class GraphRetriableError(GraphError):
    """Throttled beyond what a run waits for, unreachable, or failing on Graph's side: try again later."""


class GraphPermanentError(GraphError):
    """Graph refused the call for a reason that retrying will not change (permissions, bad request)."""


class GraphClient:
    def __init__(
        self,
        http: httpx.Client,
        *,
        base_url: str,
        access_token: Callable[[], str],
        budget: RequestBudget | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retry_after: float = 120.0,
        max_attempts: int = 5,
        page_size: int = 1000,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._access_token = access_token
        self._budget = budget or RequestBudget(sleep=sleep)
        self._sleep = sleep
        self._max_retry_after = max_retry_after
        self._max_attempts = max_attempts
        self._page_size = page_size
        self.requests = 0
        self.refused = 0

    def issue_pages(self, *, modified_since: dt.datetime | None = None) -> Iterator[Page]:
        return self._pages(f"{ANNOUNCEMENTS}/issues", modified_since)

    def message_pages(self, *, modified_since: dt.datetime | None = None) -> Iterator[Page]:
        return self._pages(f"{ANNOUNCEMENTS}/messages", modified_since)

    def health_overviews(self) -> Page:
        return [item for page in self._pages(f"{ANNOUNCEMENTS}/healthOverviews", None) for item in page]

    def _pages(self, path: str, modified_since: dt.datetime | None) -> Iterator[Page]:
        """Every page of a collection, following ``@odata.nextLink`` to the end."""
        params: dict[str, str] | None = None
        if modified_since is not None:
            stamp = modified_since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            params = {"$filter": f"lastModifiedDateTime ge {stamp}"}
        url: str | None = f"{self._base}{path}"
        while url:
            body = self._get(url, params)
            yield list(body.get("value", []))
            # The nextLink carries the whole query; httpx would replace it with any params given.
            url, params = body.get("@odata.nextLink"), None

    def _get(self, url: str, params: dict[str, str] | None) -> dict[str, Any]:
        for attempt in range(1, self._max_attempts + 1):
            self._budget.acquire()
            headers = {
                "Authorization": f"Bearer {self._access_token()}",
                "Prefer": f"odata.maxpagesize={self._page_size}",
                "Accept": "application/json",
            }
            try:
                response = self._http.get(url, params=params, headers=headers)
            except httpx.TransportError as exc:
                raise GraphRetriableError(f"Cannot reach Microsoft Graph ({type(exc).__name__}).") from None
            finally:
                self.requests += 1
            if response.status_code in (429, 503):
                self.refused += 1
                self._wait_before_retry(response, attempt)
                continue
            if response.is_success:
                return dict(response.json())
            raise _error_for(response)
        raise GraphRetriableError(f"Microsoft Graph kept refusing after {self._max_attempts} attempts.")

    def _wait_before_retry(self, response: httpx.Response, attempt: int) -> None:
        wait = retry_after_seconds(response)
        if wait is None:
            wait = float(2**attempt)
        if wait > self._max_retry_after or attempt == self._max_attempts:
            raise GraphRetriableError(
                f"Microsoft Graph is throttling (HTTP {response.status_code}, Retry-After {wait:.0f} s); "
                "the next run continues from the last watermark."
            )
        self._sleep(wait)


def _error_for(response: httpx.Response) -> GraphError:
    try:
        error = response.json().get("error", {})
        detail = f"{error.get('code', '')}: {error.get('message', '')}"
    except ValueError:
        detail = response.reason_phrase
    status = response.status_code
    if status >= 500:
        return GraphRetriableError(f"Microsoft Graph failed (HTTP {status}, {detail}).")
    if status in (401, 403):
        return GraphPermanentError(
            f"Microsoft Graph refused the outbound app (HTTP {status}, {detail}). Grant it the application "
            "permissions ServiceHealth.Read.All and ServiceMessage.Read.All with admin consent."
        )
    return GraphPermanentError(f"Microsoft Graph rejected the request (HTTP {status}, {detail}).")
