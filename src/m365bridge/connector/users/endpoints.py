"""``/api/x_mioms_m365_assis/v1/users``: user administration (``admin`` only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import require_roles
from m365bridge.connector.context import get_session
from m365bridge.connector.users import repository, service
from m365bridge.connector.users.roles import ADMIN
from m365bridge.connector.users.schemas import PasswordChange, RoleGrant, UserCreate, UserOut, UserPatch

router = APIRouter(
    prefix="/api/x_mioms_m365_assis/v1/users", tags=["users"], dependencies=[Depends(require_roles(ADMIN))]
)


@router.get("")
def list_users(session: Session = Depends(get_session, scope="function")) -> dict[str, list[UserOut]]:
    return {"result": [UserOut.of(u) for u in repository.list_users(session)]}


@router.post("", status_code=201)
def create_user(
    body: UserCreate, session: Session = Depends(get_session, scope="function")
) -> dict[str, UserOut]:
    user = service.create_user(
        session,
        body.user_name,
        password=body.password,
        name=body.name,
        email=body.email,
        roles=body.roles,
        web_service_access_only=body.web_service_access_only,
    )
    return {"result": UserOut.of(user)}


@router.get("/{user_id}")
def get_user(user_id: str, session: Session = Depends(get_session, scope="function")) -> dict[str, UserOut]:
    return {"result": UserOut.of(service.get_user(session, user_id))}


@router.patch("/{user_id}")
def update_user(
    user_id: str, body: UserPatch, session: Session = Depends(get_session, scope="function")
) -> dict[str, UserOut]:
    user = service.update_user(
        session, service.get_user(session, user_id), service.UserChanges(**body.model_dump())
    )
    return {"result": UserOut.of(user)}


@router.put("/{user_id}/password", status_code=204)
def set_password(
    user_id: str, body: PasswordChange, session: Session = Depends(get_session, scope="function")
) -> None:
    user = service.get_user(session, user_id)
    service.set_password(session, user, body.password)


@router.post("/{user_id}/roles", status_code=201)
def grant_role(
    user_id: str, body: RoleGrant, session: Session = Depends(get_session, scope="function")
) -> dict[str, UserOut]:
    user = service.get_user(session, user_id)
    service.grant(session, user, body.role)
    return {"result": UserOut.of(user)}


@router.delete("/{user_id}/roles/{role}")
def revoke_role(
    user_id: str, role: str, session: Session = Depends(get_session, scope="function")
) -> dict[str, UserOut]:
    user = service.get_user(session, user_id)
    service.revoke(session, user, role)
    return {"result": UserOut.of(user)}
