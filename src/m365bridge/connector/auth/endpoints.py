"""Inbound auth's own API: who am I, and the address allowlist (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.orm import Session

from m365bridge.connector.auth import allowlist
from m365bridge.connector.auth.dependencies import Principal, require_roles
from m365bridge.connector.context import get_session
from m365bridge.connector.users.roles import ADMIN

API = "/api/x_mioms_m365_assis/v1"
router = APIRouter(prefix=API, tags=["auth"])


class WhoAmI(BaseModel):
    user_id: str
    user_name: str
    roles: list[str]
    method: str


class AllowlistEntryIn(BaseModel):
    cidr: str
    description: str = ""


class AllowlistEntryOut(AllowlistEntryIn):
    id: str


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


@router.get("/allowlist", dependencies=[Depends(require_roles(ADMIN))])
def list_allowlist(
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, list[AllowlistEntryOut]]:
    return {
        "result": [
            AllowlistEntryOut(id=e.id, cidr=e.cidr, description=e.description)
            for e in allowlist.entries(session)
        ]
    }


@router.post("/allowlist", status_code=201, dependencies=[Depends(require_roles(ADMIN))])
def add_allowlist(
    body: AllowlistEntryIn, session: Session = Depends(get_session, scope="function")
) -> dict[str, AllowlistEntryOut]:
    entry = allowlist.add(session, body.cidr, body.description)
    return {"result": AllowlistEntryOut(id=entry.id, cidr=entry.cidr, description=entry.description)}


@router.delete("/allowlist/{entry_id}", status_code=204, dependencies=[Depends(require_roles(ADMIN))])
def remove_allowlist(entry_id: str, session: Session = Depends(get_session, scope="function")) -> None:
    allowlist.remove(session, entry_id)
