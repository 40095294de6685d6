"""``GET …/whoami``: the caller as the connector sees it, whichever door it came through."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from m365bridge.connector.auth.dependencies import require_roles
from m365bridge.connector.auth.principal import Principal

API = "/api/x_mioms_m365_assis/v1"
router = APIRouter(prefix=API, tags=["auth"])


class WhoAmI(BaseModel):
    user_id: str
    user_name: str
    roles: list[str]
    method: str


@router.get("/whoami")
def whoami(principal: Principal = Depends(require_roles())) -> dict[str, WhoAmI]:
    """The caller as the connector sees it: handy to test an integration's credentials."""
    return {
        "result": WhoAmI(
            user_id=principal.user_id,
            user_name=principal.user_name,
            roles=sorted(principal.roles),
            method=principal.method,
        )
    }
