"""``/api/x_mioms_m365_assis/v1/allowlist``: the inbound allowlist (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from m365bridge.connector.auth.allowlist import service
from m365bridge.connector.auth.allowlist.schemas import AllowlistEntryIn, AllowlistEntryOut
from m365bridge.connector.auth.dependencies import require_roles
from m365bridge.connector.context import get_session
from m365bridge.connector.users.roles import ADMIN

router = APIRouter(prefix="/api/x_mioms_m365_assis/v1", tags=["auth"])


@router.get("/allowlist", dependencies=[Depends(require_roles(ADMIN))])
def list_allowlist(
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, list[AllowlistEntryOut]]:
    return {
        "result": [
            AllowlistEntryOut(id=e.id, cidr=e.cidr, description=e.description)
            for e in service.entries(session)
        ]
    }


@router.post("/allowlist", status_code=201, dependencies=[Depends(require_roles(ADMIN))])
def add_allowlist(
    body: AllowlistEntryIn, session: Session = Depends(get_session, scope="function")
) -> dict[str, AllowlistEntryOut]:
    entry = service.add(session, body.cidr, body.description)
    return {"result": AllowlistEntryOut(id=entry.id, cidr=entry.cidr, description=entry.description)}


@router.delete("/allowlist/{entry_id}", status_code=204, dependencies=[Depends(require_roles(ADMIN))])
def remove_allowlist(entry_id: str, session: Session = Depends(get_session, scope="function")) -> None:
    service.remove(session, entry_id)
