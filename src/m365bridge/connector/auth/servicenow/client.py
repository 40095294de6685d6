"""The instance as the sign-in sees it: the token endpoint for the authorization code, and who the token's
user is with which roles. Through ``connector/http.py`` (trusted CAs, pinned public addresses, the
outbound log); the instance's tokens are used for these two reads only and never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.http import outbound_client

TOKEN_PATH = "/oauth_token.do"  # noqa: S105 (a path, not a password)
AUTHORIZE_PATH = "/oauth_auth.do"
CURRENT_USER_PATH = "/api/now/ui/user/current_user"
ROLES_PATH = "/api/now/table/sys_user_has_role"
# ServiceNow's dynamic "me": the stand-in answers this query for the caller only, a real instance too.
OWN_ROLES_QUERY = "user=javascript:gs.getUserID()"


class SignInFailed(Exception):
    """The instance did not complete the sign-in; ``str(error)`` is safe to show and log (no token)."""


@dataclass(frozen=True)
class InstanceIdentity:
    sys_id: str
    user_name: str
    roles: frozenset[str] = field(default_factory=frozenset)


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise SignInFailed(
            f"{what}: the instance answered HTTP {response.status_code} with something other than JSON "
            "(a hibernating developer instance answers with an HTML page: wake it up)"
        ) from None
    if not isinstance(body, dict):
        raise SignInFailed(f"{what}: the instance's answer is not a JSON object")
    return body


class SignInClient:
    def __init__(self, context: ConnectorContext, instance_url: str) -> None:
        self._http = outbound_client(context, name="servicenow_signin", base_url=instance_url)

    def __enter__(self) -> SignInClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.close()

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str, client_id: str, client_secret: str
    ) -> str:
        """The access token for ``code`` (the refresh token is dropped: the connector keeps no user token)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
            "client_id": client_id,
            "client_secret": client_secret,
        }
        response = self._send("POST", TOKEN_PATH, "token exchange", data=form)
        body = _json(response, "token exchange")
        if response.status_code != 200 or not isinstance(body.get("access_token"), str):
            reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
            raise SignInFailed(f"the instance refused the authorization code: {str(reason)[:200]}")
        return str(body["access_token"])

    def identity(self, access_token: str) -> InstanceIdentity:
        """The token's user (``sys_id``, user name) and the roles granted to them on the instance."""
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        me = self._result(
            self._send("GET", CURRENT_USER_PATH, "current user", headers=headers), "current user"
        )
        if not isinstance(me, dict) or not me.get("user_sys_id") or not me.get("user_name"):
            raise SignInFailed("current user: the instance's answer has no user_sys_id and user_name")
        params = {"sysparm_query": OWN_ROLES_QUERY, "sysparm_display_value": "true", "sysparm_fields": "role"}
        grants = self._result(
            self._send("GET", ROLES_PATH, "roles", headers=headers, params=params), "the user's roles"
        )
        if not isinstance(grants, list):
            raise SignInFailed("the user's roles: the instance's answer is not a list")
        return InstanceIdentity(str(me["user_sys_id"]), str(me["user_name"]), frozenset(_role_names(grants)))

    def _send(self, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise SignInFailed(f"{what}: the instance could not be reached ({type(exc).__name__})") from None

    @staticmethod
    def _result(response: httpx.Response, what: str) -> Any:
        body = _json(response, what)
        if response.status_code != 200:
            error = body.get("error")
            message = error.get("message") if isinstance(error, dict) else None
            raise SignInFailed(
                f"{what}: the instance answered HTTP {response.status_code} ({message or 'no message'})"
            )
        return body.get("result")


def _role_names(grants: list[Any]) -> list[str]:
    """Role names from ``sys_user_has_role`` rows read with ``sysparm_display_value=true``: each ``role``
    is a reference whose display value is the role's name (a plain string when the reference is not
    expanded)."""
    names = []
    for grant in grants:
        role = grant.get("role") if isinstance(grant, dict) else None
        name = role.get("display_value") if isinstance(role, dict) else role
        if isinstance(name, str) and name:
            names.append(name)
    return names
