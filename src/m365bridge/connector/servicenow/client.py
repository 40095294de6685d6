"""The one thin client of a customer's ServiceNow instance: the Table API calls the connector needs.

Every call goes through ``connector.http`` (trusted CAs, timeouts, the outbound HTTP log). Callers get
typed records (``records.py``) or a ``ServiceNowError`` saying what to do; never raw JSON, never a bare
``httpx`` error.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from m365bridge.connector.http import retry_after_seconds
from m365bridge.connector.servicenow import errors, responses
from m365bridge.connector.servicenow.records import (
    INCIDENT_FIELDS,
    JOURNAL_FIELDS,
    ChangedPage,
    InstanceIncident,
    JournalEntry,
    Watermark,
    field_display,
)
from m365bridge.shared.errors import UserError
from m365bridge.shared.numbers import whole_number

logger = logging.getLogger(__name__)

TABLE = "/api/now/table"
RESOLVED_STATE = "6"


class Authenticator(Protocol):
    """Adds the instance credentials to a request (``auth.py``: Basic, or an OAuth bearer token)."""

    def headers(self) -> dict[str, str]: ...

    def renew(self) -> bool:
        """After a 401: forget the current token and get a new one; False when there is nothing to renew."""
        ...

    def close(self) -> None: ...


def check_instance_url(url: str, *, allow_loopback_http: bool) -> str:
    """The instance URL without a trailing slash; https only (http to a loopback address only when the
    settings allow it, for the demo and tests)."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise UserError(f"{url!r} is not an instance URL; use e.g. https://dev12345.service-now.com")
    if parts.query or parts.fragment or parts.username:
        raise UserError("the instance URL must not carry a query, a fragment or credentials")
    if parts.scheme == "http" and not (allow_loopback_http and _is_loopback(parts.hostname)):
        raise UserError(
            f"{url!r} uses http: ServiceNow instances are reached over https only (plain http is "
            "allowed only to a loopback address with servicenow_allow_loopback_http for the demo and tests)"
        )
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class InstanceClient:
    """One instance, one authenticated httpx client. ``sleep`` is injectable so that tests of Retry-After
    do not wait; ``max_attempts`` bounds how often a throttled call is sent."""

    def __init__(
        self,
        http: httpx.Client,
        authenticator: Authenticator,
        *,
        max_attempts: int = 4,
        max_retry_after: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = http
        self._auth = authenticator
        self._max_attempts = max_attempts
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self.last_date: str | None = None  # the instance's Date header of the last answer (clock check)

    @property
    def base_url(self) -> str:
        return str(self._http.base_url).rstrip("/")

    def close(self) -> None:
        self._http.close()
        self._auth.close()

    def get_incident(self, sys_id: str) -> InstanceIncident:
        body, _ = self._call("GET", _record_path(sys_id), params=_incident_params())
        return InstanceIncident.from_record(_result(body, dict))

    def list_changed(self, watermark: Watermark, *, limit: int = 100, offset: int = 0) -> ChangedPage:
        """Incidents changed at or after the watermark's second, oldest first, minus those it has seen.

        ServiceNow keeps seconds, so the query is ``>=`` that second and the watermark drops the records
        already handled there: equal timestamps are neither skipped nor repeated."""
        query = "ORDERBYsys_updated_on^ORDERBYsys_id"
        if watermark.updated_on:
            query = f"sys_updated_on>={_escape(watermark.updated_on)}^{query}"
        params = {**_incident_params(), "sysparm_query": query, "sysparm_limit": str(limit)}
        if offset:
            params["sysparm_offset"] = str(offset)
        body, response = self._call("GET", f"{TABLE}/incident", params=params)
        records = [InstanceIncident.from_record(r) for r in _result(body, list)]
        fresh = []
        for incident in records:
            if not watermark.has_seen(incident):
                fresh.append(incident)
                watermark = watermark.after(incident)
        next_offset = _next_offset(response)
        return ChangedPage(
            incidents=tuple(fresh),
            watermark=watermark,
            total=_total(response),
            has_more=next_offset is not None,
            next_offset=next_offset,
        )

    def add_work_note(self, sys_id: str, text: str) -> InstanceIncident:
        body, _ = self._call(
            "PATCH", _record_path(sys_id), params=_incident_params(), json={"work_notes": text}
        )
        return InstanceIncident.from_record(_result(body, dict))

    def create_incident(
        self, fields: Mapping[str, str], *, correlation_id: str, correlation_display: str
    ) -> InstanceIncident:
        """POST an incident carrying the connector's correlation id, so that a retry can find it first
        (``find_by_correlation``) instead of creating a second one."""
        payload = {**fields, "correlation_id": correlation_id, "correlation_display": correlation_display}
        body, _ = self._call("POST", f"{TABLE}/incident", params=_incident_params(), json=payload)
        return InstanceIncident.from_record(_result(body, dict))

    def find_by_correlation(self, correlation_id: str) -> InstanceIncident | None:
        return self._first("correlation_id", correlation_id)

    def find_by_number(self, number: str) -> InstanceIncident | None:
        return self._first("number", number)

    def _first(self, field: str, value: str) -> InstanceIncident | None:
        params = {
            **_incident_params(),
            "sysparm_query": f"{field}={_escape(value)}^ORDERBYsys_created_on",
            "sysparm_limit": "1",
        }
        body, _ = self._call("GET", f"{TABLE}/incident", params=params)
        found = _result(body, list)
        return InstanceIncident.from_record(found[0]) if found else None

    def resolve(self, sys_id: str, *, close_code: str, close_notes: str) -> InstanceIncident:
        payload = {"state": RESOLVED_STATE, "close_code": close_code, "close_notes": close_notes}
        body, _ = self._call("PATCH", _record_path(sys_id), params=_incident_params(), json=payload)
        return InstanceIncident.from_record(_result(body, dict))

    def work_notes(self, sys_id: str, *, limit: int = 1000) -> list[JournalEntry]:
        """The incident's work notes, oldest first, one ``sys_journal_field`` row each (see docs: a retry
        looks here for its idempotency marker before writing again)."""
        params = {
            "sysparm_query": f"element_id={_escape(sys_id)}^element=work_notes^ORDERBYsys_created_on",
            "sysparm_fields": ",".join(JOURNAL_FIELDS),
            "sysparm_limit": str(limit),
        }
        body, _ = self._call("GET", f"{TABLE}/sys_journal_field", params=params)
        return [JournalEntry.from_record(r) for r in _result(body, list)]

    def own_roles(self) -> frozenset[str]:
        """The role names granted to the signed-in account: ``sys_user_has_role`` filtered on the dynamic
        "me" (``javascript:gs.getUserID()``), which works for every auth type, client credentials too."""
        params = {
            "sysparm_query": "user=javascript:gs.getUserID()",
            "sysparm_fields": "role",
            "sysparm_display_value": "true",
            "sysparm_limit": "1000",
        }
        body, _ = self._call("GET", f"{TABLE}/sys_user_has_role", params=params)
        return frozenset(field_display(r.get("role")) for r in _result(body, list) if r.get("role"))

    def probe(self, table: str) -> int | None:
        """Read at most one row of a table (changes nothing); returns the instance's X-Total-Count."""
        params = {"sysparm_limit": "1", "sysparm_fields": "sys_id"}
        _, response = self._call("GET", f"{TABLE}/{table}", params=params)
        return _total(response)

    def reachable(self) -> int:
        """One unauthenticated GET: any JSON answer (401 is the usual one) shows a live instance's Table
        API. Returns the status; raises ``InstanceUnreachable`` or ``NotJson``."""
        try:
            response = self._http.get(
                f"{TABLE}/incident", params={"sysparm_limit": "1"}, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise responses.unreachable(self.base_url, exc) from exc
        self.last_date = response.headers.get("Date") or self.last_date
        if responses.json_or_none(response) is None:
            raise errors.NotJson(
                f"The instance answered with a web page ({responses.content_type(response)}, HTTP "
                f"{response.status_code}) where the Table API answers JSON.",
                fix=responses.HIBERNATING_FIX,
                status=response.status_code,
            )
        return response.status_code

    def _call(
        self, method: str, path: str, *, params: Mapping[str, str], json: Any = None
    ) -> tuple[Any, httpx.Response]:
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            response = self._send(method, path, params, json)
            if response.status_code == 401 and not renewed and self._auth.renew():
                renewed = True
                continue
            if response.status_code == 429:
                wait = retry_after_seconds(response)
                wait = float(2 ** (attempt - 1)) if wait is None else wait
                if attempt < self._max_attempts and wait <= self._max_retry_after:
                    logger.info("instance throttled %s %s; retrying in %.1f s", method, path, wait)
                    self._sleep(wait)
                    continue
            return responses.decode(response), response

    def _send(self, method: str, path: str, params: Mapping[str, str], json: Any) -> httpx.Response:
        headers = {"Accept": "application/json", **self._auth.headers()}
        try:
            response = self._http.request(method, path, params=params, json=json, headers=headers)
        except httpx.HTTPError as exc:
            raise responses.unreachable(self.base_url, exc) from exc
        self.last_date = response.headers.get("Date") or self.last_date
        return response


def _incident_params() -> dict[str, str]:
    return {"sysparm_fields": ",".join(INCIDENT_FIELDS), "sysparm_display_value": "all"}


def _record_path(sys_id: str) -> str:
    """The incident's URL path; the sys_id is quoted so that it can only ever name one record."""
    return f"{TABLE}/incident/{quote(sys_id, safe='')}"


def _escape(value: str) -> str:
    """Encoded queries separate terms with ``^``; a literal one is written ``^^``."""
    return value.replace("^", "^^")


def _result(body: Any, kind: type) -> Any:
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, kind):
        raise errors.NotJson(
            "The instance answered JSON without the Table API's 'result'.",
            fix="Check that the URL is the instance's base URL, without a path.",
        )
    return result


# Counts and offsets an instance sends are read as ASCII digits up to the database's integers (``²`` passes
# ``isdigit()`` and then fails ``int()``); anything else is treated as absent.
MAX_ROW_NUMBER = 2**63 - 1


def _total(response: httpx.Response) -> int | None:
    return whole_number(response.headers.get("X-Total-Count", "").strip(), maximum=MAX_ROW_NUMBER)


def _next_offset(response: httpx.Response) -> int | None:
    """The ``sysparm_offset`` of the Link header's ``rel="next"``, when the instance says there is more."""
    for link in response.links.values():
        if link.get("rel") == "next":
            offsets = parse_qs(urlsplit(link.get("url", "")).query).get("sysparm_offset")
            if offsets:
                return whole_number(offsets[0], maximum=MAX_ROW_NUMBER)
    return None
