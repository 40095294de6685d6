"""Turning an instance's answer (or its absence) into JSON or the ``ServiceNowError`` it calls for.

ServiceNow's documented error body is ``{"error": {"message", "detail"}, "status": "failure"}``; both
parts go into the message. An HTML page where JSON belongs is named as such: a hibernating developer
instance answers every URL with one.
"""

from __future__ import annotations

from typing import Any

import httpx

from m365bridge.connector.http import retry_after_seconds
from m365bridge.connector.servicenow import errors

HIBERNATING_FIX = (
    "A hibernating developer instance does this: wake it at developer.servicenow.com. Otherwise check "
    "that the URL is the instance's own (https://<name>.service-now.com), not a login or SSO page."
)


def unreachable(base_url: str, exc: httpx.HTTPError) -> errors.InstanceUnreachable:
    if isinstance(exc, httpx.TimeoutException):
        return errors.InstanceUnreachable(
            f"The instance at {base_url} did not answer in time ({type(exc).__name__}).",
            fix="Check that it is up (a developer instance may be waking up) and try again.",
        )
    return errors.InstanceUnreachable(
        f"Cannot reach the instance at {base_url}: {_reason(exc)}.",
        fix="Check the instance URL (https://<name>.service-now.com), DNS, the network path and, "
        "for a TLS error, the CA bundle (ca_bundle).",
        detail=str(exc),
    )


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
        return f"TLS failed ({text})"
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return f"the host name does not resolve ({text})"
    return text


def decode(response: httpx.Response) -> Any:
    """The JSON body of a successful answer, or the ``ServiceNowError`` its status and body call for."""
    body = json_or_none(response)
    status = response.status_code
    if status < 400:
        if body is None:
            raise errors.NotJson(
                f"The instance answered with a web page ({content_type(response)}, HTTP {status}) where "
                "the Table API answers JSON.",
                fix=HIBERNATING_FIX,
                status=status,
            )
        return body
    message, detail = _error_parts(body)
    if body is None and "html" in content_type(response):
        raise errors.NotJson(
            f"The instance answered HTTP {status} with a web page instead of JSON.",
            fix=HIBERNATING_FIX,
            status=status,
        )
    said = f" ({message}{': ' + detail if detail else ''})" if message or detail else ""
    if status == 401:
        raise errors.Unauthorized(
            f"The instance refused the credentials (HTTP 401{said}).",
            fix="Check the user name and password (or the OAuth client id and secret) with "
            "'m365bridge connector servicenow configure', and that the account is active and not locked.",
            status=status,
            detail=detail,
        )
    if status == 403:
        raise errors.Forbidden(
            f"The instance refused the operation (HTTP 403{said}).",
            fix="An ACL refuses it: give the integration account the roles in docs/servicenow.md "
            "(itil for incidents and work notes) and check the table's ACLs.",
            status=status,
            detail=detail,
        )
    if status == 404:
        raise errors.RecordNotFound(
            f"The record does not exist or an ACL hides it (HTTP 404{said}).",
            fix="Check the sys_id, and that the account may read the record.",
            status=status,
            detail=detail,
        )
    if status == 429:
        raise errors.Throttled(
            f"The instance kept answering 429 Too Many Requests{said}.",
            fix="Try again later; poll less often, or raise the account's rate limit rule on the instance.",
            retry_after=retry_after_seconds(response),
        )
    if status >= 500:
        raise errors.InstanceFailed(
            f"The instance failed (HTTP {status}{said}).",
            fix="Try again later; if it persists, look at the instance's system log.",
            status=status,
            detail=detail,
        )
    raise errors.RequestRefused(
        f"The instance refused the request (HTTP {status}{said}).",
        fix="This request will not work as it is; see the detail in the system log.",
        status=status,
        detail=detail,
    )


def json_or_none(response: httpx.Response) -> Any:
    if "json" not in content_type(response):
        return None
    try:
        return response.json()
    except ValueError:
        return None


def content_type(response: httpx.Response) -> str:
    return response.headers.get("Content-Type", "no content type").split(";")[0].strip().lower()


def _error_parts(body: Any) -> tuple[str, str]:
    """``{"error": {"message", "detail"}, "status": "failure"}``: ServiceNow's documented error body."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or ""), str(error.get("detail") or "")
    return "", ""
