"""``GET /api/now/ui/user/current_user``: who the caller is, as ServiceNow's UI API answers it.

An OAuth client that signed a user in (authorization code) learns that user's ``sys_id`` and user name
here on a real instance as on this stand-in; the roles come from ``sys_user_has_role`` (``role_table.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from m365bridge.connector.auth.dependencies import require_roles
from m365bridge.connector.auth.principal import Principal

router = APIRouter(prefix="/api/now/ui/user", tags=["UI API"])


@router.get("/current_user")
def current_user(principal: Principal = Depends(require_roles())) -> dict[str, Any]:
    return {
        "result": {
            "user_sys_id": principal.user_id,
            "user_name": principal.user_name,
            "user_display_name": principal.user_name,
        }
    }
