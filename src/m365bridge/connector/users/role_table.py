"""``GET /api/now/table/sys_user_has_role``, read-only and for the caller's own grants: enough for a
client to learn its account's roles the way it would on ServiceNow (``user=javascript:gs.getUserID()``,
the dynamic "me"), so that the ServiceNow instance client's Test connection runs against this stand-in.

ServiceNow's ``role`` is a reference to ``sys_user_role``; this stand-in has no such table, so the
reference's value is the role's name.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from m365bridge.connector.api_errors import ApiError
from m365bridge.connector.auth.dependencies import Principal, require_roles

router = APIRouter(prefix="/api/now/table", tags=["Table API"])
ME = "javascript:gs.getUserID()"


@router.get("/sys_user_has_role")
def own_roles(request: Request, principal: Principal = Depends(require_roles())) -> dict[str, Any]:
    query = request.query_params.get("sysparm_query", "")
    if query.strip() not in (f"user={ME}", f"user={principal.user_id}"):
        raise ApiError(
            403,
            f"this stand-in answers sys_user_has_role for the caller only: use sysparm_query=user={ME}",
        )
    mode = request.query_params.get("sysparm_display_value", "false").lower()
    base = str(request.base_url).rstrip("/")
    return {"result": [_grant(base, principal, role, mode) for role in sorted(principal.roles)]}


def _grant(base: str, principal: Principal, role: str, mode: str) -> dict[str, Any]:
    def reference(table: str, value: str, display: str) -> Any:
        link = f"{base}/api/now/table/{table}/{value}"
        if mode == "true":
            return {"display_value": display, "link": link}
        if mode == "all":
            return {"display_value": display, "link": link, "value": value}
        return {"link": link, "value": value}

    return {
        "user": reference("sys_user", principal.user_id, principal.user_name),
        "role": reference("sys_user_role", role, role),
        "state": "active",
        "inherited": "false",
    }
