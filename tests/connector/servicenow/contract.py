"""Helpers for the contract tests: a client on an ``httpx.MockTransport`` answering in ServiceNow's
documented shapes, and those shapes themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from m365bridge.connector.servicenow.auth import AuthType, BasicAuthenticator, Credentials
from m365bridge.connector.servicenow.client import Authenticator, InstanceClient

INSTANCE = "https://dev12345.service-now.com"
BASIC = Credentials(AuthType.BASIC, user_name="m365.integration", password="s3cret-Pa55")


def client(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    authenticator: Authenticator | None = None,
    sleeps: list[float] | None = None,
    max_retry_after: float = 60.0,
) -> InstanceClient:
    waits = sleeps if sleeps is not None else []
    return InstanceClient(
        httpx.Client(base_url=INSTANCE, transport=httpx.MockTransport(handler)),
        authenticator or BasicAuthenticator(BASIC),
        sleep=waits.append,
        max_retry_after=max_retry_after,
    )


def failure(status: int, message: str, detail: str, **headers: str) -> httpx.Response:
    body = {"error": {"message": message, "detail": detail}, "status": "failure"}
    return httpx.Response(status, json=body, headers=headers)


def incident(sys_id: str, updated_on: str, **fields: Any) -> dict[str, Any]:
    """An incident as ``sysparm_display_value=all`` shows it: every field ``{display_value, value}``,
    references with their ``link`` as well."""
    record: dict[str, Any] = {
        "sys_id": {"display_value": sys_id, "value": sys_id},
        "number": {"display_value": f"INC{sys_id[-7:]}", "value": f"INC{sys_id[-7:]}"},
        "short_description": {"display_value": "Outlook down", "value": "Outlook down"},
        "description": {"display_value": "", "value": ""},
        "state": {"display_value": "New", "value": "1"},
        "sys_updated_on": {"display_value": updated_on, "value": updated_on},
        "correlation_id": {"display_value": "", "value": ""},
        "close_code": {"display_value": "", "value": ""},
        "close_notes": {"display_value": "", "value": ""},
        "caller_id": {
            "display_value": "Abel Tuter",
            "link": f"{INSTANCE}/api/now/table/sys_user/62826bf03710200044e0bfc8bcbe5df1",
            "value": "62826bf03710200044e0bfc8bcbe5df1",
        },
    }
    record.update(fields)
    return record


def page(records: list[dict[str, Any]], *, total: int, next_offset: int | None, limit: int) -> httpx.Response:
    links = [f'<{INSTANCE}/api/now/table/incident?sysparm_limit={limit}&sysparm_offset=0>;rel="first"']
    if next_offset is not None:
        links.append(
            f'<{INSTANCE}/api/now/table/incident?sysparm_limit={limit}&sysparm_offset={next_offset}>;rel="next"'
        )
    links.append(
        f"<{INSTANCE}/api/now/table/incident?sysparm_limit={limit}&sysparm_offset={max(0, total - limit)}>"
        ';rel="last"'
    )
    return httpx.Response(
        200, json={"result": records}, headers={"X-Total-Count": str(total), "Link": ",".join(links)}
    )
