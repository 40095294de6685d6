"""``/users``: user and role administration for ``admin`` (list with filters, create, edit, lock, password).

An administrator cannot lock, deactivate or take ``admin`` away from their own account here: doing it by
accident would leave nobody able to undo it from the UI.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from m365bridge.connector.auth.dependencies import require_ui_user
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import get_session
from m365bridge.connector.users import repository, service
from m365bridge.connector.users.models import User
from m365bridge.connector.users.roles import ADMIN, ALL_ROLES
from m365bridge.connector.web.templating import redirect, render
from m365bridge.shared.errors import UserError

router = APIRouter(include_in_schema=False)
admin_page = require_ui_user(ADMIN)
STATES = {"active": "Active", "inactive": "Inactive", "locked": "Locked", "web_service": "Web service only"}


def matches(user: User, q: str, role: str, state: str) -> bool:
    text = q.strip().lower()
    if text and not any(text in v.lower() for v in (user.user_name, user.name, user.email)):
        return False
    if role and role not in user.roles:
        return False
    return {
        "": True,
        "active": user.active and not user.locked,
        "inactive": not user.active,
        "locked": user.locked,
        "web_service": user.web_service_access_only,
    }.get(state, True)


@router.get("/users")
def user_list(
    request: Request,
    q: str = "",
    role: str = "",
    state: str = "",
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    users = [u for u in repository.list_users(session) if matches(u, q, role, state)]
    return render(
        request,
        "users/list.html",
        title="Users",
        users=users,
        roles=ALL_ROLES,
        states=STATES,
        filters={"q": q, "role": role, "state": state},
    )


def _form(request: Request, user: User | None, status_code: int = 200, **extra: object) -> Response:
    title = f"User {user.user_name}" if user else "New user"
    return render(
        request,
        "users/form.html",
        status_code=status_code,
        title=title,
        edited=user,
        roles=ALL_ROLES,
        **extra,
    )


@router.get("/users/new")
def new_user_form(request: Request, _admin: Principal = Depends(admin_page)) -> Response:
    return _form(request, None, values={})


@router.post("/users/new")
def create_user(
    request: Request,
    user_name: str = Form(""),
    name: str = Form(""),
    email: str = Form(""),
    password: str = Form(""),
    roles: list[str] = Form([]),
    web_service_access_only: bool = Form(False),
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    values = {"user_name": user_name, "name": name, "email": email, "roles": roles}
    try:
        with session.begin_nested():
            user = service.create_user(
                session,
                user_name,
                password=password or None,
                name=name,
                email=email,
                roles=roles,
                web_service_access_only=web_service_access_only,
            )
    except UserError as problem:
        return _form(request, None, problem.status_code, values=values, error=str(problem))
    return redirect(f"/users/{user.id}", f"User {user.user_name} created.")


@router.get("/users/{user_id}")
def edit_user_form(
    request: Request,
    user_id: str,
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    return _form(request, service.get_user(session, user_id))


def _check_not_self_lockout(admin: Principal, user: User, active: bool, roles: Sequence[str]) -> None:
    if user.id == admin.user_id and (not active or ADMIN not in roles):
        raise UserError("You cannot deactivate your own account or remove your own admin role.")


@router.post("/users/{user_id}")
def update_user(
    request: Request,
    user_id: str,
    name: str = Form(""),
    email: str = Form(""),
    active: bool = Form(False),
    web_service_access_only: bool = Form(False),
    roles: list[str] = Form([]),
    admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    user = service.get_user(session, user_id)
    try:
        with session.begin_nested():
            _check_not_self_lockout(admin, user, active, roles)
            wanted = {service.check_role(r) for r in roles}
            changes = service.UserChanges(
                name=name, email=email, active=active, web_service_access_only=web_service_access_only
            )
            service.update_user(session, user, changes)
            for role in wanted - user.roles:
                service.grant(session, user, role)
            for role in user.roles - wanted:
                service.revoke(session, user, role)
    except UserError as problem:
        session.refresh(user)
        return _form(request, user, problem.status_code, error=str(problem))
    return redirect(f"/users/{user.id}", f"User {user.user_name} saved.")


@router.post("/users/{user_id}/lock")
def lock_user(
    request: Request,
    user_id: str,
    admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    user = service.get_user(session, user_id)
    if user.id == admin.user_id:
        return _form(request, user, 400, error="You cannot lock your own account.")
    service.update_user(session, user, service.UserChanges(locked=True))
    return redirect(f"/users/{user.id}", f"User {user.user_name} locked: signed out everywhere.")


@router.post("/users/{user_id}/unlock")
def unlock_user(
    request: Request,
    user_id: str,
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    user = service.update_user(session, service.get_user(session, user_id), service.UserChanges(locked=False))
    return redirect(f"/users/{user.id}", f"User {user.user_name} unlocked.")


@router.post("/users/{user_id}/password")
def reset_password(
    request: Request,
    user_id: str,
    password: str = Form(""),
    confirm: str = Form(""),
    _admin: Principal = Depends(admin_page),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    user = service.get_user(session, user_id)
    try:
        if password != confirm:
            raise UserError("The two passwords differ; type the same password twice.")
        with session.begin_nested():
            service.set_password(session, user, password)
    except UserError as problem:
        return _form(request, user, problem.status_code, error=str(problem))
    return redirect(f"/users/{user.id}", f"Password of {user.user_name} reset; their sessions were ended.")
